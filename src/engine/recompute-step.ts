/**
 * The article's engine as a way of computing a scheduler's step: each sequence runs the whole
 * forward pass over its prompt and the tokens it generated (step.sql without a cache, one
 * statement per sequence), and chooses with its own options. No session, no cache rows.
 */
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import type { BlocksShape } from '../sql/forward.ts';
import { renderBound, type BoundStatement } from '../sql/sql.ts';
import { choosingValues, RECOMPUTE_INPUTS, step as stepStatement, type SequenceChoice } from '../sql/statements.ts';
import type { GeneratedToken } from './generation.ts';
import { runStatement } from './run-statement.ts';
import { parallelPlan, type WorkerCosts } from './workers.ts';

/** A sequence's part of a recomputed step: every token so far, and how it chooses. */
export interface RecomputedSequence extends SequenceChoice {
  prompt: readonly number[];
}

/**
 * The recompute engine's step for one model: its statements rendered once per shape of the
 * blocks (the positions grow by one a step: written for any number of them, one output).
 */
export class RecomputeStep {
  private readonly statements = new Map<BlocksShape, BoundStatement>();
  private readonly inputs = { ...RECOMPUTE_INPUTS, forward: { ...RECOMPUTE_INPUTS.forward, counts: { outputs: 1 } } };

  constructor(private readonly db: Database, private readonly model: ModelRow, private readonly workers: WorkerCosts) {}

  /** Each sequence's chosen token, in their order: one statement each. */
  async run(sequences: readonly RecomputedSequence[]): Promise<GeneratedToken[]> {
    const tokens: GeneratedToken[] = [];
    for (const sequence of sequences) tokens.push(await this.one(sequence));
    return tokens;
  }

  private async one(sequence: RecomputedSequence): Promise<GeneratedToken> {
    const { db, model } = this;
    const ids = [...sequence.prompt, ...sequence.generated];
    const parallel = parallelPlan(model, this.workers, ids.length, 1);
    let statement = this.statements.get(parallel.shape);
    if (!statement) this.statements.set(parallel.shape, statement = renderBound(stepStatement(model, this.inputs, parallel.shape)));
    const values = { ids, start: 0, ...choosingValues([sequence], model.vocab_size) };
    const [row] = await runStatement<{ token: number; bytes: Uint8Array | null }>(db, model.schema_name, statement, values, { parallel });
    return { id: row.token, bytes: Uint8Array.from(row.bytes ?? []) };
  }
}
