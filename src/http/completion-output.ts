import type { ServerResponse } from 'node:http';
import type { ApiError } from './api-error.ts';
import type { PlacedToken, TextPiece } from './choice-text.ts';
import { legacyLogprobs, type LegacyLogprobs } from './legacy-logprobs.ts';
import { sendJson } from './respond.ts';

export type FinishReason = 'stop' | 'length';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What every completion object (and chunk) starts with. */
export interface CompletionHead {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
}

export interface CompletionChoice {
  text: string;
  index: number;
  logprobs: LegacyLogprobs | null;
  finish_reason: FinishReason | null;
}

/** Where the choices of a completion go as they are generated: one JSON object at the end, or server-sent events. */
export interface CompletionOutput {
  /** A piece of choice `index`'s text. */
  piece(index: number, piece: TextPiece): void;
  /** A token was chosen: the generations are running. */
  tokenChosen(): void;
  /** Choice `index` is complete. */
  finish(index: number, reason: FinishReason): void;
  /** Every choice is complete. */
  end(usage: Usage): void;
  /** Whether an error can still be answered with its own status (nothing was sent yet). */
  readonly canReplyWithStatus: boolean;
  /** An error after the stream started: sent as an event, and the stream ends. */
  fail(error: ApiError): void;
}

/**
 * Collects the choices into the one object of a request without `stream`.
 *
 * @example
 * const output = new CompletionCollector(response, head, 2, true); // … output.end(usage) sends the JSON
 */
export class CompletionCollector implements CompletionOutput {
  readonly canReplyWithStatus = true;
  private readonly texts: string[][];
  private readonly tokens: PlacedToken[][];
  private readonly reasons: Array<FinishReason | null>;

  constructor(private readonly response: ServerResponse, private readonly head: CompletionHead, count: number, private readonly withLogprobs: boolean) {
    this.texts = Array.from({ length: count }, () => []);
    this.tokens = Array.from({ length: count }, () => []);
    this.reasons = Array.from({ length: count }, () => null);
  }

  piece(index: number, piece: TextPiece): void {
    this.texts[index].push(piece.text);
    this.tokens[index].push(...piece.tokens);
  }

  tokenChosen(): void {}

  finish(index: number, reason: FinishReason): void {
    this.reasons[index] = reason;
  }

  end(usage: Usage): void {
    const choices: CompletionChoice[] = this.texts.map((texts, index) => ({
      text: texts.join(''), index, logprobs: this.withLogprobs ? legacyLogprobs(this.tokens[index]) : null, finish_reason: this.reasons[index],
    }));
    sendJson(this.response, 200, { ...this.head, choices, usage });
  }

  fail(): void {}
}

/**
 * Server-sent events in OpenAI's shape: `data: {chunk}` per piece of text, a chunk with the
 * finish_reason when a choice ends, with `include_usage` a last chunk with the usage and no
 * choices, then `data: [DONE]`. The headers go out with the first chosen token (or at the end),
 * so that an error before it (a full queue) is answered with its own status.
 *
 * @example
 * const output = new CompletionStream(response, head, { withLogprobs: false, includeUsage: true }); // … output.end(usage) sends [DONE]
 */
export class CompletionStream implements CompletionOutput {
  private started = false;
  private waiting: string[] = [];

  constructor(private readonly response: ServerResponse, private readonly head: CompletionHead, private readonly options: { withLogprobs: boolean; includeUsage: boolean }) {}

  get canReplyWithStatus(): boolean {
    return !this.started;
  }

  piece(index: number, piece: TextPiece): void {
    if (piece.text === '' && piece.tokens.length === 0) return;
    const logprobs = this.options.withLogprobs ? legacyLogprobs(piece.tokens) : null;
    this.chunk([{ text: piece.text, index, logprobs, finish_reason: null }]);
  }

  tokenChosen(): void {
    this.start();
  }

  finish(index: number, reason: FinishReason): void {
    this.chunk([{ text: '', index, logprobs: null, finish_reason: reason }]);
  }

  end(usage: Usage): void {
    if (this.options.includeUsage) this.event({ ...this.head, choices: [], usage });
    this.start();
    this.write('data: [DONE]\n\n');
    this.response.end();
  }

  fail(error: ApiError): void {
    this.event(error.body());
    this.response.end();
  }

  private chunk(choices: CompletionChoice[]): void {
    this.event({ ...this.head, choices, ...(this.options.includeUsage ? { usage: null } : {}) });
  }

  private event(value: unknown): void {
    this.write(`data: ${JSON.stringify(value)}\n\n`);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    if (this.response.destroyed) return;
    this.response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    for (const text of this.waiting) this.response.write(text);
    this.waiting = [];
  }

  private write(text: string): void {
    if (!this.started) this.waiting.push(text);
    else if (!this.response.destroyed && !this.response.writableEnded) this.response.write(text);
  }
}
