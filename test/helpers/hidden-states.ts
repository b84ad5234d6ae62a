/** The final hidden state of every position, from the database: what the tests compare with the reference's lnf. */
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Database } from '../../src/db/database.ts';
import { checkPrompt } from '../../src/engine/options.ts';
import { runStatement } from '../../src/engine/run-statement.ts';
import { FORWARD_INPUTS, transformer } from '../../src/sql/forward.ts';
import { renderBound, template, type Sql } from '../../src/sql/sql.ts';

/** sql/hidden.sql: the final hidden state (lnf) of every position of the ids fed. */
export function hiddenStatement(model: ModelRow | Parameters<typeof transformer>[0]): Sql {
  return template('hidden', { transformer: transformer(model, FORWARD_INPUTS, 'all', 'unrolled').ctes });
}

/**
 * The final hidden state (after ln_f) of every position of `ids`: [T][C], computed in the
 * database.
 *
 * @example
 * const lnf = await hiddenStates(db, model, [15496, 11]); // lnf[1].length === model.n_embd
 */
export async function hiddenStates(db: Database, model: ModelRow, ids: readonly number[]): Promise<number[][]> {
  checkPrompt(model, ids);
  const rows = await runStatement<{ t: number; x: number[] }>(db, model.schema_name, renderBound(hiddenStatement(model)), { ids, start: 0 });
  return rows.map((row) => row.x);
}
