import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { renderBound, type BoundStatement } from '../sql/sql.ts';
import { RECOMPUTE_INPUTS, samplingValues, STEP_INPUTS, step as stepStatement } from '../sql/statements.ts';
import { checkPrompt, completionOptions, type EngineName, type Sampling } from './options.ts';
import { runStatement } from './run-statement.ts';
import { openSession } from './session.ts';

export interface GenerateOptions extends Partial<Sampling> {
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
  if (options.engine === 'recompute') return run(recomputeStep(db, model, promptIds, sampling));
  const session = await openSession(db, model.name);
  let generation: Generation;
  try {
    generation = await run(incrementalStep(db, model, promptIds, sampling, session.id));
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

/** Prefill at step 0 (the whole prompt); afterwards each step feeds only the previous new token. */
function incrementalStep(db: Database, model: ModelRow, prompt: readonly number[], sampling: Sampling, session: number): NextToken {
  const statement = renderBound(stepStatement(model, STEP_INPUTS));
  return (step, tokens) => {
    const ids = step === 0 ? prompt : [tokens[step - 1]];
    const start = step === 0 ? 0 : prompt.length + step - 1;
    return chooseToken(db, model, statement, { ids, start, session }, sampling, step);
  };
}

/** The article's engine: every step runs the whole sequence again, with no cache. */
function recomputeStep(db: Database, model: ModelRow, prompt: readonly number[], sampling: Sampling): NextToken {
  const statement = renderBound(stepStatement(model, RECOMPUTE_INPUTS));
  return (step, tokens) => chooseToken(db, model, statement, { ids: [...prompt, ...tokens], start: 0 }, sampling, step);
}

async function chooseToken(
  db: Database, model: ModelRow, statement: BoundStatement, fed: { ids: readonly number[]; start: number; session?: number },
  sampling: Sampling, step: number,
): Promise<GeneratedToken> {
  const values = { ...fed, ...samplingValues(sampling, model.vocab_size), step };
  const [row] = await runStatement<{ token: number; bytes: Uint8Array | null }>(db, model.schema_name, statement, values);
  return { id: row.token, bytes: Uint8Array.from(row.bytes ?? []) };
}

/** GPT-2's <|endoftext|>, looked up by its symbol in the model's vocabulary; null if it has none. */
export async function endOfTextId(db: Database, model: Pick<ModelRow, 'schema_name'>): Promise<number | null> {
  const row = await db.kysely.withSchema(model.schema_name).selectFrom('vocab').select('token').where('symbol', '=', '<|endoftext|>').executeTakeFirst();
  return row ? row.token : null;
}
