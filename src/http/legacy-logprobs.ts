import type { PlacedToken } from './choice-text.ts';

/** OpenAI's `logprobs` of a completions choice (the legacy shape), one entry per token in each list. */
export interface LegacyLogprobs {
  /** Each token's text; a token that is not whole UTF-8 on its own as `bytes:\xe2\x80`. */
  tokens: string[];
  /** ln P(token) under the model's own distribution; null for a prompt's first token. */
  token_logprobs: Array<number | null>;
  /** The most probable tokens at that place with theirs, and the chosen one; null where token_logprobs is. */
  top_logprobs: Array<Record<string, number> | null>;
  /** Where each token's text starts in the choice's text, in characters (code points). */
  text_offset: number[];
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A token's text as OpenAI shows it in `logprobs`: its bytes as UTF-8, or, when they are not whole
 * characters on their own, `bytes:` and each byte as `\xNN`.
 *
 * @example
 * tokenString(new Uint8Array([72, 105]));  // 'Hi'
 * tokenString(new Uint8Array([0xe2, 0x80])); // 'bytes:\\xe2\\x80'
 */
export function tokenString(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return `bytes:${[...bytes].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('')}`;
  }
}

/**
 * The legacy `logprobs` object of some tokens of a choice.
 *
 * @example
 * legacyLogprobs(piece.tokens); // { tokens: [' the'], token_logprobs: [-1.2], top_logprobs: [{ ' the': -1.2, ' a': -1.9 }], text_offset: [5] }
 */
export function legacyLogprobs(tokens: readonly PlacedToken[]): LegacyLogprobs {
  return {
    tokens: tokens.map((token) => tokenString(token.bytes)),
    token_logprobs: tokens.map((token) => token.logprob ?? null),
    top_logprobs: tokens.map(topLogprobs),
    text_offset: tokens.map((token) => token.offset),
  };
}

/** The alternatives at a token's place, most probable first, and the token itself (OpenAI: up to logprobs + 1 entries). */
function topLogprobs(token: PlacedToken): Record<string, number> | null {
  if (token.logprob === null || token.logprob === undefined) return null;
  const top: Record<string, number> = {};
  for (const alternative of token.top ?? []) top[tokenString(alternative.bytes)] = alternative.logprob;
  top[tokenString(token.bytes)] = token.logprob;
  return top;
}
