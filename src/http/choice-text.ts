import type { TokenLogprob } from '../engine/generate.ts';
import { TokenText } from '../engine/token-text.ts';

/** A token of a choice as the API shows it: a prompt's (echo) or a generated one, with its log-probability when asked. */
export interface ShownToken {
  id: number;
  bytes: Uint8Array;
  /** null for a prompt's first token, which nothing before it predicts. */
  logprob?: number | null;
  top?: TokenLogprob[] | null;
}

/** A token placed in the choice's text: its part of the text, and where that part starts (in characters, code points). */
export interface PlacedToken extends ShownToken {
  text: string;
  offset: number;
}

/** Text ready to send, and the tokens it comes from (text decoded at the very end may have no token of its own). */
export interface TextPiece {
  text: string;
  tokens: PlacedToken[];
}

const NOTHING: TextPiece = { text: '', tokens: [] };

/**
 * The text of one choice as its tokens arrive: their bytes decoded as sql/detokenize.sql does
 * (TokenText: a character split across tokens appears with the token that completes it), cut
 * before the first stop string. Text that may be the start of a stop string is held back until
 * the next tokens tell; once a stop string appears, `stopped` is true and nothing more comes out.
 *
 * @example
 * const text = new ChoiceText(['\n']);
 * text.push({ id: 15496, bytes: utf8('Hello') }); // { text: 'Hello', tokens: [{ …, text: 'Hello', offset: 0 }] }
 * text.push({ id: 198, bytes: utf8('\n') });      // { text: '', tokens: [] }, and text.stopped is true
 */
export class ChoiceText {
  stopped = false;
  private readonly pieces = new TokenText();
  /** Generated tokens not sent yet: their text may begin a stop string. */
  private held: PlacedToken[] = [];
  /** Characters sent so far. */
  private offset = 0;

  constructor(private readonly stops: readonly string[]) {}

  /** The prompt's tokens (echo): sent at once, never searched for stop strings. */
  echo(tokens: readonly ShownToken[]): TextPiece {
    return this.send(tokens.map((token) => ({ ...token, text: this.decode(token.bytes), offset: 0 })));
  }

  /** A generated token: what can be sent now. */
  push(token: ShownToken): TextPiece {
    if (this.stopped) return NOTHING;
    this.held.push({ ...token, text: this.decode(token.bytes), offset: 0 });
    return this.release(false);
  }

  /** The generation ended: what is left (an unfinished character as U+FFFD). */
  end(): TextPiece {
    if (this.stopped) return NOTHING;
    const rest = this.pieces.end();
    const piece = this.release(true);
    return rest ? { text: piece.text + rest, tokens: piece.tokens } : piece; // after every token's offset: the offsets stay right
  }

  private decode(bytes: Uint8Array): string {
    return this.pieces.push(bytes);
  }

  /** Sends the held tokens that cannot be part of a stop string; at a stop string, those before it (the last one cut). */
  private release(final: boolean): TextPiece {
    const text = this.held.map((token) => token.text).join('');
    const stop = firstStop(text, this.stops);
    if (stop >= 0) {
      this.stopped = true;
      return this.send(cutAt(this.held, stop));
    }
    const sendable = final ? text.length : text.length - stopPrefixLength(text, this.stops);
    let count = 0;
    for (let end = 0; count < this.held.length && end + this.held[count].text.length <= sendable; count++) end += this.held[count].text.length;
    const sent = this.held.slice(0, count);
    this.held = this.held.slice(count);
    return this.send(sent);
  }

  private send(tokens: PlacedToken[]): TextPiece {
    for (const token of tokens) {
      token.offset = this.offset;
      this.offset += codePoints(token.text);
    }
    return { text: tokens.map((token) => token.text).join(''), tokens };
  }
}

/** Where the earliest stop string in `text` begins, or -1. */
function firstStop(text: string, stops: readonly string[]): number {
  const found = stops.map((stop) => text.indexOf(stop)).filter((at) => at >= 0);
  return found.length ? Math.min(...found) : -1;
}

/** The length of the longest end of `text` that a stop string begins with (and is not all of). */
function stopPrefixLength(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const stop of stops) {
    for (let length = Math.min(stop.length - 1, text.length); length > longest; length--) {
      if (text.endsWith(stop.slice(0, length))) longest = length;
    }
  }
  return longest;
}

/** The tokens whose text starts before `at`, the last one's text cut there. */
function cutAt(tokens: PlacedToken[], at: number): PlacedToken[] {
  const kept: PlacedToken[] = [];
  let start = 0;
  for (const token of tokens) {
    if (start >= at) break;
    kept.push({ ...token, text: token.text.slice(0, at - start) });
    start += token.text.length;
  }
  return kept;
}

/** Characters as Python counts them (code points), as OpenAI's text_offset does. */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
