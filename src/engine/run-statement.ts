import type { Database } from '../db/database.ts';
import { bind, type InputName, type Statement } from '../sql/statements.ts';

/**
 * Runs a model statement with its inputs bound, with PostgreSQL's JIT off: the planner's estimate
 * for a forward pass is far above jit_above_cost, and a server then spends seconds compiling
 * a statement that runs in a fraction of that (measured: 3.5 s against 0.2 s on a tiny model).
 * SET LOCAL ends with the transaction.
 */
export async function runStatement<R, N extends InputName>(db: Database, statement: Statement<N>, values: Record<N, unknown>): Promise<R[]> {
  return db.transaction(async () => {
    await db.exec('SET LOCAL jit = off');
    return db.query<R>(statement.text, bind(statement, values));
  });
}
