/**
 * Scoring: how probable a model finds a text, token by token, and its perplexity. A text longer
 * than the model's context is read in windows of n_ctx tokens moving by `stride`, as Hugging
 * Face's "Perplexity of fixed-length models" does; each window is one statement, sql/score.sql.
 */
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { renderBound } from '../sql/sql.ts';
import { score, SCORE_INPUTS } from '../sql/statements.ts';
import type { TokenLogprob } from './generate.ts';
import { checkPrompt, scoreOptions, type Checked, type CheckedPrompt, type ScoreOptions } from './options.ts';
import { withModelStatements } from './run-statement.ts';
import { decodeEach } from './tokenizer.ts';
import { parallelPlan, workersOption } from './workers.ts';

/** A token of the text with its log-probability after the tokens before it. */
export interface ScoredToken extends Omit<TokenLogprob, 'logprob'> {
  /** ln p(token | the tokens before it in its window); null for the first token, which has nothing before it. */
  logprob: number | null;
  /** The most probable tokens at its place (what the model expected instead), most probable first; ties: lower id. */
  top: TokenLogprob[];
}

export interface Scoring {
  tokens: ScoredToken[];
  /** exp(-mean logprob) over the tokens scored; null when none is (a text of one token). */
  perplexity: number | null;
  /** How many tokens have a logprob. */
  scored: number;
  /** The windows read: 1 when the text fits the context. */
  windows: number;
  /** The stride used (the default is n_ctx / 2). */
  stride: number;
}

/** A window of the text: tokens [start, end) fed from place 0; those from `counted` on are scored by it. */
export interface ScoreWindow {
  start: number;
  end: number;
  counted: number;
}

/**
 * The windows of a text of `length` tokens, as Hugging Face's perplexity guide moves them: n_ctx
 * tokens starting every `stride` tokens until one reaches the end. Each window scores the tokens
 * the one before did not reach (never its own first token, which has nothing before it: with
 * stride = n_ctx that token stays unscored).
 *
 * @example
 * scoreWindows(40, 16, 8); // [{ start: 0, end: 16, counted: 1 }, { start: 8, end: 24, counted: 16 }, …, { start: 24, end: 40, counted: 32 }]
 */
export function scoreWindows(length: number, nCtx: number, stride: number): ScoreWindow[] {
  const windows: ScoreWindow[] = [];
  let reached = 0;
  for (let start = 0; ; start += stride) {
    const end = Math.min(start + nCtx, length);
    windows.push({ start, end, counted: Math.max(reached, start + 1) });
    if (end >= length) return windows;
    reached = end;
  }
}

/** A row of score.sql: position t of a window, the token after it and its logprob, the top tokens at t. */
interface ScoreRow {
  t: number;
  token: number | null;
  logprob: number | null;
  top_tokens: number[];
  top_logprobs: number[];
  top_bytes: Array<Uint8Array | null>;
}

/**
 * Scores the text `ids` in the database: each token's log-probability after the ones before it
 * (the first has none), the `top` most probable tokens at its place, and the perplexity.
 * Options are checked before any SQL is sent; `signal` stops between windows (throwing its reason).
 *
 * @example
 * const { tokens, perplexity } = await scoreTokens(db, model, await encode(db, model, 'Hello, world'), { top: 3 });
 * // tokens[1]: { id: 11, bytes: Uint8Array [44], logprob: -2.51, top: [{ id: 11, bytes: …, logprob: -2.51 }, …] }
 */
export async function scoreTokens(
  db: Database, model: ModelRow, ids: readonly number[],
  options: Partial<ScoreOptions> & RunScoring = {},
): Promise<Scoring> {
  const { top, stride } = scoreOptions(options, model.n_ctx);
  const windows = scoreWindows(ids.length, model.n_ctx, stride);
  for (const window of windows) checkPrompt(model, ids.slice(window.start, window.end));
  return scoreInWindows(db, model, ids, windows, { top, stride }, options);
}

/** How a scoring runs: parallel workers per scan of weights, and a signal that stops it between windows. */
interface RunScoring {
  workers?: number;
  signal?: AbortSignal;
}

/**
 * scoreTokens of a prompt and a number of alternatives checked where they entered (the HTTP
 * server's echo with logprobs: checkPrompt, logprobsOption), in windows of half the context;
 * nothing is checked again.
 *
 * @example
 * await scoreChecked(db, model, checkPrompt(model, ids), logprobsOption(5)!);
 */
export async function scoreChecked(db: Database, model: ModelRow, ids: CheckedPrompt, top: Checked<number>, options: RunScoring = {}): Promise<Scoring> {
  const stride = Math.max(1, Math.floor(model.n_ctx / 2));
  return scoreInWindows(db, model, ids, scoreWindows(ids.length, model.n_ctx, stride), { top, stride }, options);
}

/** A prompt's token as an echo shows it: its bytes, and with log-probabilities asked, how scoreChecked scored it. */
export type EchoedToken = Pick<ScoredToken, 'id' | 'bytes'> & Partial<Pick<ScoredToken, 'logprob' | 'top'>>;

/**
 * A prompt's tokens as an echo shows them: each with its bytes; with `top` (how many alternatives
 * to show), each also scored by the model given the tokens before it (scoreChecked).
 *
 * @example
 * await echoTokens(db, model, ids, undefined); // [{ id: 15496, bytes: … }]
 * await echoTokens(db, model, ids, top);       // [{ id: 15496, bytes: …, logprob: null, top: [] }, { id: 11, …, logprob: -2.3, top: [...] }]
 */
export async function echoTokens(db: Database, model: ModelRow, ids: CheckedPrompt, top: Checked<number> | undefined): Promise<EchoedToken[]> {
  if (top === undefined) return (await decodeEach(db, model, ids)).map(({ token, bytes }) => ({ id: token, bytes }));
  return (await scoreChecked(db, model, ids, top)).tokens;
}

async function scoreInWindows(
  db: Database, model: ModelRow, ids: readonly number[], windows: ScoreWindow[], { top, stride }: ScoreOptions, options: RunScoring,
): Promise<Scoring> {
  // The first window is the longest: its parallel workers serve every window.
  const parallel = parallelPlan(model, await workersOption(db, options.workers), windows[0].end - windows[0].start);
  // Written for each window's length (the last may be shorter): each stored row meets its positions W at a time.
  const statementFor = (positions: number) =>
    renderBound(score(model, { ...SCORE_INPUTS, forward: { ...SCORE_INPUTS.forward, counts: { positions, outputs: positions } } }, parallel.shape));
  const tokens: ScoredToken[] = (await decodeEach(db, model, ids)).map((piece) => ({ id: piece.token, bytes: piece.bytes, logprob: null, top: [] }));
  await withModelStatements(db, model.schema_name, { parallel }, async (statements) => {
    for (const window of windows) {
      options.signal?.throwIfAborted();
      const values = { ids: ids.slice(window.start, window.end), start: 0, top: Math.min(top, model.vocab_size) };
      for (const row of await statements.run<ScoreRow>(statementFor(values.ids.length), values)) {
        const place = window.start + row.t + 1;
        if (row.token !== null && place >= window.counted) tokens[place] = { ...tokens[place], logprob: row.logprob, top: alternatives(row) };
      }
    }
  });
  const logprobs = tokens.flatMap((token) => (token.logprob === null ? [] : [token.logprob]));
  const perplexity = logprobs.length ? Math.exp(-logprobs.reduce((sum, logprob) => sum + logprob, 0) / logprobs.length) : null;
  return { tokens, perplexity, scored: logprobs.length, windows: windows.length, stride };
}

function alternatives(row: ScoreRow): TokenLogprob[] {
  return row.top_tokens.map((id, i) => ({ id, bytes: Uint8Array.from(row.top_bytes[i] ?? []), logprob: row.top_logprobs[i] }));
}
