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
