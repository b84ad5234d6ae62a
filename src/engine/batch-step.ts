/**
 * One step of several generations of one model in one statement (step.sql, batched): each
 * sequence is fed its prompt (a prefill) or the token chosen by the step before, reads its own
 * cache and chooses with its own options; kv_save.sql appends every new position's keys and
 * values to its session's cache, in the same transaction.
 */
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { lanesFor } from '../sql/lanes.ts';
import { renderBound, type BoundStatement } from '../sql/sql.ts';
import { BATCH_STEP_INPUTS, choosingValues, kvSave, stepChosen, step as stepStatement, type SequenceChoice } from '../sql/statements.ts';
import type { GeneratedToken } from './generation.ts';
import { withModelStatements, type InputValues } from './run-statement.ts';
import { parallelPlan, type ParallelPlan, type WorkerCosts } from './workers.ts';

/** A sequence's part of a step: what it is fed, and how it chooses (its options, draw index, logprobs and the tokens it generated so far). */
export interface SequenceStep extends SequenceChoice {
  /** Its generation session (gpt2sql.sessions), whose cache rows it reads and appends to. */
  session: number;
  /** The token ids fed: the prompt in the first step, afterwards the token chosen before. */
  ids: readonly number[];
  /** The place of the first of them: how many positions its cache holds. */
  start: number;
}

/** The table a step returns its rows into, for the statements after it. */
const STEP_RESULT = 'step_result';

/**
 * The statements of a batched step for one model, rendered once, and the scans' parallel workers:
 * the step alone, which appends the new keys and values to the caches itself; or, when its scans
 * have workers, the step into a temporary table (a statement that writes gets no workers), then
 * kv_save.sql from there and step_chosen.sql reading the tokens back.
 */
export interface BatchStatements {
  step: BoundStatement;
  /** With workers: the statements after the step. */
  afterwards?: { save: BoundStatement; chosen: BoundStatement };
  parallel: ParallelPlan;
}

/**
 * The batched step's statements for `model`, written for the number of positions the sequences
 * feed and the number of sequences (each stored row meets that many at once: src/sql/lanes.ts),
 * with up to `workers` parallel workers for the scans worth them (workers.ts).
 */
export function batchStatements(model: ModelRow, workers: WorkerCosts | number, sequences: readonly Pick<SequenceStep, 'ids'>[]): BatchStatements {
  const counts = batchCounts(sequences);
  const parallel = parallelPlan(model, workers, counts.positions, counts.outputs);
  const forward = { ...BATCH_STEP_INPUTS.forward, counts };
  const writes = parallel.workers === 0;
  return {
    step: renderBound(stepStatement(model, { ...BATCH_STEP_INPUTS, forward }, parallel.shape, writes)),
    afterwards: writes ? undefined : { save: renderBound(kvSave(model, STEP_RESULT)), chosen: renderBound(stepChosen(STEP_RESULT)) },
    parallel,
  };
}

/** What batchStatements' statements depend on, as a key: two batches of the same key share them. */
export function batchStatementsKey(model: ModelRow, workers: WorkerCosts | number, sequences: readonly Pick<SequenceStep, 'ids'>[]): string {
  const { positions, outputs } = batchCounts(sequences);
  const lanes = [lanesFor(positions), lanesFor(outputs)].map((l) => `${l.width}${l.grouped ? '+' : ''}`);
  const parallel = parallelPlan(model, workers, positions, outputs);
  return [model.name, ...lanes, parallel.workers, parallel.minScanBytes, parallel.shape].join('\n');
}

/** Positions fed (every sequence's ids) and positions that get logits (one per sequence). */
function batchCounts(sequences: readonly Pick<SequenceStep, 'ids'>[]): { positions: number; outputs: number } {
  return { positions: sequences.reduce((sum, sequence) => sum + sequence.ids.length, 0), outputs: sequences.length };
}

/**
 * Runs one step of `sequences` (at least one) in one transaction and returns each sequence's
 * chosen token, in their order: step.sql, which appends the new keys and values to the caches;
 * or, with parallel workers, step.sql into a temporary table (it writes nothing, so PostgreSQL may
 * give it workers), kv_save.sql appending the new keys and values from there, and the chosen
 * tokens read back.
 *
 * @example
 * const sequences = [{ session: 7, ids: [15496, 11], start: 0, sampling, draw: 0, generated: [] }];
 * const [token] = await batchStep(db, model, batchStatements(model, 0, sequences), sequences);
 */
export async function batchStep(db: Database, model: ModelRow, statements: BatchStatements, sequences: readonly SequenceStep[]): Promise<GeneratedToken[]> {
  const values = batchValues(model, sequences);
  const rows = await withModelStatements(db, model.schema_name, { parallel: statements.parallel }, async (run) => {
    const { afterwards } = statements;
    if (!afterwards) return run.run<ChosenRow>(statements.step, values);
    await run.into(STEP_RESULT, statements.step, values);
    await run.run(afterwards.save, values);
    return run.run<ChosenRow>(afterwards.chosen, values);
  });
  return sequences.map((sequence, s) => tokenOf(rows.filter((row) => row.s === s), sequence.logprobs !== undefined));
}

interface ChosenRow {
  s: number;
  rank: number;
  token: number;
  bytes: Uint8Array | null;
  logprob: number | null;
}

/** The statement's inputs: the positions of every sequence one after another, and each sequence's options. */
function batchValues(model: ModelRow, sequences: readonly SequenceStep[]): InputValues {
  return {
    ids: sequences.flatMap((sequence) => sequence.ids),
    places: sequences.flatMap((sequence) => sequence.ids.map((_, i) => sequence.start + i)),
    seqs: sequences.flatMap((sequence, s) => sequence.ids.map(() => s)),
    sessions: sequences.map((sequence) => sequence.session),
    ...choosingValues(sequences, model.vocab_size),
  };
}

/** A sequence's rows: the chosen token (rank 0), then its alternatives. */
function tokenOf(rows: readonly ChosenRow[], withLogprobs: boolean): GeneratedToken {
  const bytes = (row: ChosenRow) => Uint8Array.from(row.bytes ?? []);
  const [chosen, ...alternatives] = rows;
  if (!chosen || chosen.rank !== 0) throw new Error('a batched step returned no token for a sequence');
  const token: GeneratedToken = { id: chosen.token, bytes: bytes(chosen) };
  if (withLogprobs) {
    token.logprob = chosen.logprob!;
    token.top = alternatives.map((row) => ({ id: row.token, bytes: bytes(row), logprob: row.logprob! }));
  }
  return token;
}
