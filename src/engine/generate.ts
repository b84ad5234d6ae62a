import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { checkPrompt, generationOptions, type EngineName, type Sampling } from './options.ts';
import type { GeneratedToken, Generation, StopReason, TokenLogprob } from './generation.ts';
import { Scheduler } from './scheduler.ts';
import { workersOption } from './workers.ts';
import { endOfTextId } from './model.ts';

export { endOfTextId };

export interface GenerateOptions extends Partial<Sampling> {
  /** Parallel workers per scan of weights (0: none); by default the server's (workersOption). */
  workers?: number;
  /** The most new tokens to generate. */
  maxTokens: number;
  /** incremental (default): prefill once, then one position per step; recompute: the article's full pass per token. */
  engine?: EngineName;
  /** With each token (incremental engine), its log-probability and this many alternatives (0 to 20). */
  logprobs?: number;
  /** Stops generation after the statement running when it fires; the session is still removed. */
  signal?: AbortSignal;
  /** Called with each new token the moment it is chosen. */
  onToken?(token: GeneratedToken): void;
}

export type { GeneratedToken, Generation, StopReason, TokenLogprob };

/**
 * Generates up to `maxTokens` new tokens after the prompt, in the database, with the stop rules of
 * src/reference/generate.ts: a batch of one in a scheduler of its own, whose steps are computed
 * by `engine` (scheduler.ts). Options are checked before any SQL is sent.
 *
 * @example
 * const { tokens, stop } = await generate(db, model, [15496, 11], { maxTokens: 20, onToken: (t) => print(t.bytes) });
 * await generate(db, model, ids, { maxTokens: 20, temperature: 0.8, topK: 40, seed: 42 });
 */
export async function generate(db: Database, model: ModelRow, promptIds: readonly number[], options: GenerateOptions): Promise<Generation> {
  const { completion, logprobs, engine } = generationOptions(options);
  const prompt = checkPrompt(model, promptIds);
  const workers = await workersOption(db, options.workers);
  const scheduler = new Scheduler(db, { maxBatch: 1, workers, engine });
  try {
    return await scheduler.generate({ model, prompt, options: completion, logprobs, signal: options.signal, onToken: options.onToken });
  } finally {
    await scheduler.close();
  }
}
