import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import type { BlocksShape } from '../sql/forward.ts';
import { renderBound, type BoundStatement } from '../sql/sql.ts';
import { choosingValues, RECOMPUTE_INPUTS, step as stepStatement } from '../sql/statements.ts';
import { checkPrompt, completionOptions, logprobsOption, type EngineName, type Sampling } from './options.ts';
import { runStatement } from './run-statement.ts';
import type { GeneratedToken, Generation, StopReason, TokenLogprob } from './generation.ts';
import { Scheduler } from './scheduler.ts';
import { parallelPlan, workersOption } from './workers.ts';
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

/** Chooses the token at `step` (0-based), given the tokens generated so far. */
type NextToken = (step: number, tokens: readonly number[]) => Promise<GeneratedToken>;


/**
 * Generates up to `maxTokens` new tokens after the prompt, in the database, with the stop rules of
 * src/reference/generate.ts. Options are checked before any SQL is sent.
 *
 * @example
 * const { tokens, stop } = await generate(db, model, [15496, 11], { maxTokens: 20, onToken: (t) => print(t.bytes) });
 * await generate(db, model, ids, { maxTokens: 20, temperature: 0.8, topK: 40, seed: 42 });
 */
export async function generate(db: Database, model: ModelRow, promptIds: readonly number[], options: GenerateOptions): Promise<Generation> {
  const { maxTokens, ...sampling } = completionOptions(options);
  const logprobs = logprobsOption(options.logprobs);
  checkPrompt(model, promptIds);
  const workers = (await workersOption(db, options.workers)).count;
  if (options.engine !== 'recompute') {
    // A batch of one: the statements of the HTTP server's concurrent generations.
    const scheduler = new Scheduler(db, { maxBatch: 1, workers });
    try {
      return await scheduler.generate({ model, prompt: promptIds, options: { maxTokens, ...sampling }, logprobs, signal: options.signal, onToken: options.onToken });
    } finally {
      await scheduler.close();
    }
  }
  const eot = await endOfTextId(db, model);
  return generateWith(recomputeStep(db, model, promptIds, sampling, workers), promptIds.length, maxTokens, model.n_ctx, eot, options);
}

async function generateWith(next: NextToken, promptLength: number, maxTokens: number, nCtx: number, eot: number | null, options: GenerateOptions): Promise<Generation> {
  const tokens: number[] = [];
  for (let step = 0; ; step++) {
    if (step >= maxTokens) return { tokens, stop: 'max_tokens' };
    if (promptLength + step >= nCtx) return { tokens, stop: 'n_ctx' };
    if (options.signal?.aborted) return { tokens, stop: 'aborted' };
    const token = await next(step, tokens);
    if (token.id === eot) return { tokens, stop: 'eot' };
    tokens.push(token.id);
    options.onToken?.(token);
  }
}

/** The article's engine: every step runs the whole sequence again, with no cache. */
function recomputeStep(db: Database, model: ModelRow, prompt: readonly number[], sampling: Sampling, workers: number): NextToken {
  // The positions grow by one a step: written for any number of them (in groups), one output.
  const inputs = { ...RECOMPUTE_INPUTS, forward: { ...RECOMPUTE_INPUTS.forward, counts: { outputs: 1 } } };
  const statements = new Map<BlocksShape, BoundStatement>();
  return async (step, tokens) => {
    const ids = [...prompt, ...tokens];
    const parallel = parallelPlan(model, workers, ids.length);
    if (!statements.has(parallel.shape)) statements.set(parallel.shape, renderBound(stepStatement(model, inputs, parallel.shape)));
    const values = { ids, start: 0, ...choosingValues([{ sampling, draw: step, generated: tokens }], model.vocab_size) };
    return tokenOf(await runStatement(db, model.schema_name, statements.get(parallel.shape)!, values, { parallel }));
  };
}

function tokenOf(rows: Array<{ token: number; bytes: Uint8Array | null }>): GeneratedToken {
  return { id: rows[0].token, bytes: Uint8Array.from(rows[0].bytes ?? []) };
}
