import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { blocksShape } from '../sql/forward.ts';
import { renderBound } from '../sql/sql.ts';
import { kvSave, RECOMPUTE_INPUTS, samplingValues, STEP_INPUTS, stepChosen, step as stepStatement } from '../sql/statements.ts';
import { checkPrompt, completionOptions, type EngineName, type Sampling } from './options.ts';
import { runStatement, withModelStatements, type InputValues, type RunOptions } from './run-statement.ts';
import { openSession } from './session.ts';
import { workersOption } from './workers.ts';

export interface GenerateOptions extends Partial<Sampling> {
  /** Parallel workers per scan of weights (0: none); by default the server's (workersOption). */
  workers?: number;
  /** The most new tokens to generate. */
  maxTokens: number;
  /** incremental (default): prefill once, then one position per step; recompute: the article's full pass per token. */
  engine?: EngineName;
  /** Stops generation after the statement running when it fires; the session is still removed. */
  signal?: AbortSignal;
  /** Called with each new token the moment it is chosen. */
  onToken?(token: GeneratedToken): void;
}

export interface GeneratedToken {
  id: number;
  /** The token's bytes; a UTF-8 character may be split across tokens. */
  bytes: Uint8Array;
}

/** Why generation stopped: <|endoftext|> was chosen (and not returned), enough tokens, the context is full, or aborted. */
export type StopReason = 'eot' | 'max_tokens' | 'n_ctx' | 'aborted';

export interface Generation {
  tokens: number[];
  stop: StopReason;
}

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
  checkPrompt(model, promptIds);
  const eot = await endOfTextId(db, model);
  const run = (next: NextToken) => generateWith(next, promptIds.length, maxTokens, model.n_ctx, eot, options);
  const running = { workers: (await workersOption(db, options.workers)).count };
  if (options.engine === 'recompute') return run(recomputeStep(db, model, promptIds, sampling, running));
  const session = await openSession(db, model.name);
  let generation: Generation;
  try {
    generation = await run(incrementalStep(db, model, promptIds, sampling, session.id, running));
  } catch (error) {
    await session.close().catch(() => {}); // the first error is the one to report
    throw error;
  }
  await session.close();
  return generation;
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

/** The table a step of the incremental engine returns its rows into, for the statements after it. */
const STEP_RESULT = 'step_result';

/**
 * Prefill at step 0 (the whole prompt); afterwards each step feeds only the previous new token. A
 * step is three statements in one transaction: step.sql into a temporary table (it writes nothing,
 * so PostgreSQL may give it parallel workers), kv_save.sql appending the new keys and values to the
 * session's cache from there, and the chosen token read back.
 */
function incrementalStep(db: Database, model: ModelRow, prompt: readonly number[], sampling: Sampling, session: number, options: RunOptions): NextToken {
  const statement = renderBound(stepStatement(model, STEP_INPUTS, blocksShape(options.workers ?? 0)));
  const save = renderBound(kvSave(model, STEP_RESULT));
  const chosen = renderBound(stepChosen(STEP_RESULT));
  return (step, tokens) => {
    const ids = step === 0 ? prompt : [tokens[step - 1]];
    const start = step === 0 ? 0 : prompt.length + step - 1;
    const values = stepValues(model, { ids, start, session }, sampling, step);
    return withModelStatements(db, model.schema_name, options, async (statements) => {
      await statements.into(STEP_RESULT, statement, values);
      await statements.run(save, values);
      return tokenOf(await statements.run(chosen, values));
    });
  };
}

/** The article's engine: every step runs the whole sequence again, with no cache. */
function recomputeStep(db: Database, model: ModelRow, prompt: readonly number[], sampling: Sampling, options: RunOptions): NextToken {
  const statement = renderBound(stepStatement(model, RECOMPUTE_INPUTS, blocksShape(options.workers ?? 0)));
  return async (step, tokens) => {
    const values = stepValues(model, { ids: [...prompt, ...tokens], start: 0 }, sampling, step);
    return tokenOf(await runStatement(db, model.schema_name, statement, values, options));
  };
}

function stepValues(model: ModelRow, fed: { ids: readonly number[]; start: number; session?: number }, sampling: Sampling, step: number): InputValues {
  return { ...fed, ...samplingValues(sampling, model.vocab_size), step };
}

function tokenOf(rows: Array<{ token: number; bytes: Uint8Array | null }>): GeneratedToken {
  return { id: rows[0].token, bytes: Uint8Array.from(rows[0].bytes ?? []) };
}

/** GPT-2's <|endoftext|>, looked up by its symbol in the model's vocabulary; null if it has none. */
export async function endOfTextId(db: Database, model: Pick<ModelRow, 'schema_name'>): Promise<number | null> {
  const row = await db.kysely.withSchema(model.schema_name).selectFrom('vocab').select('token').where('symbol', '=', '<|endoftext|>').executeTakeFirst();
  return row ? row.token : null;
}
