import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { hiddenSql, withParameters } from '../sql/statements.ts';
import { useModel } from './model.ts';
import { checkPrompt } from './options.ts';
import { runStatement } from './run-statement.ts';

/**
 * The final hidden state (after ln_f) of every position of `ids`: [T][C], computed in the
 * database. Tests compare it with the reference; it is the input of the logits.
 *
 * @example
 * const lnf = await hiddenStates(db, model, [15496, 11]); // lnf[1].length === model.n_embd
 */
export async function hiddenStates(db: Database, model: ModelRow, ids: readonly number[]): Promise<number[][]> {
  checkPrompt(model, ids);
  await useModel(db, model);
  const statement = withParameters(['ids', 'start'] as const, (inputs) => hiddenSql(model, inputs));
  const rows = await runStatement<{ t: number; x: number[] }, 'ids' | 'start'>(db, statement, { ids, start: 0 });
  return rows.map((row) => row.x);
}
