import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { quoteIdent } from '../sql/quote.ts';

/**
 * Removes a model: its schema (weights, tokenizer tables, keys/values cache) and its catalog row,
 * in one transaction.
 *
 * @example
 * await dropModel(db, await findModel(db, 'distilgpt2'));
 */
export async function dropModel(db: Database, model: Pick<ModelRow, 'name' | 'schema_name'>): Promise<void> {
  await db.transaction(async () => {
    await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(model.schema_name)} CASCADE`);
    await db.kysely.deleteFrom('gpt2sql.models').where('name', '=', model.name).execute();
  });
}
