import type { Database } from '../db/database.ts';
import type { ModelRow } from '../db/catalog-tables.ts';
import { ModelNotLoadedError } from '../errors.ts';

/** The default model name, as on the Hugging Face hub. */
export const DEFAULT_MODEL = 'gpt2';

/** All loaded models, by name. */
export async function listModels(db: Database): Promise<ModelRow[]> {
  return db.kysely.selectFrom('gpt2sql.models').selectAll().orderBy('name').execute();
}

/** The catalog row of `name`; a ModelNotLoadedError, naming the loaded models, when it is not loaded. */
export async function findModel(db: Database, name: string = DEFAULT_MODEL): Promise<ModelRow> {
  const row = await db.kysely.selectFrom('gpt2sql.models').selectAll().where('name', '=', name).executeTakeFirst();
  if (row) return row;
  throw new ModelNotLoadedError(name, (await listModels(db)).map((m) => m.name));
}

/** GPT-2's <|endoftext|>, looked up by its symbol in the model's vocabulary; null if it has none. */
export async function endOfTextId(db: Database, model: Pick<ModelRow, 'schema_name'>): Promise<number | null> {
  const row = await db.kysely.withSchema(model.schema_name).selectFrom('vocab').select('token').where('symbol', '=', '<|endoftext|>').executeTakeFirst();
  return row ? row.token : null;
}
