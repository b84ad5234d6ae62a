/** What a generation gives: its tokens as they come, and why it stopped (generate.ts, scheduler.ts). */

export interface GeneratedToken {
  id: number;
  /** The token's bytes; a UTF-8 character may be split across tokens. */
  bytes: Uint8Array;
  /** When logprobs were asked: ln of its probability under the model's own distribution (temperature 1, all tokens). */
  logprob?: number;
  /** When logprobs were asked: the most probable tokens with theirs, most probable first (ties: lower id). */
  top?: TokenLogprob[];
}

/** A token with its log-probability under the model's own distribution. */
export interface TokenLogprob {
  id: number;
  bytes: Uint8Array;
  logprob: number;
}

/** Why generation stopped: <|endoftext|> was chosen (and not returned), enough tokens, the context is full, or aborted. */
export type StopReason = 'eot' | 'max_tokens' | 'n_ctx' | 'aborted';

export interface Generation {
  tokens: number[];
  stop: StopReason;
}

/** Where a generation stands: what the stop rules read. */
export interface GenerationState {
  /** The prompt's length in tokens. */
  promptLength: number;
  /** The tokens generated so far (<|endoftext|> never among them). */
  generated: number;
  maxTokens: number;
  /** The model's context. */
  nCtx: number;
  /** Whether its caller (or the server closing) asked it to end. */
  aborted: boolean;
  /** The token the last step chose, before it is counted; undefined before the first step. */
  chosen?: number;
  /** The model's <|endoftext|> id; null: none. */
  eot: number | null;
}

/**
 * The stop rules, the same as src/reference/generate.ts's and sql/complete.sql's, for both
 * engines: <|endoftext|> chosen (not returned), max_tokens generated, the context full, or aborted.
 * Null: take another step.
 *
 * @example
 * stopReason({ promptLength: 3, generated: 5, maxTokens: 5, nCtx: 1024, aborted: false, eot: 50256 }); // 'max_tokens'
 */
export function stopReason(state: GenerationState): StopReason | null {
  if (state.chosen !== undefined && state.chosen === state.eot) return 'eot';
  if (state.generated >= state.maxTokens) return 'max_tokens';
  if (state.promptLength + state.generated >= state.nCtx) return 'n_ctx';
  if (state.aborted) return 'aborted';
  return null;
}
