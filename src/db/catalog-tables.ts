import type { ColumnType } from 'kysely';
import type { Gpt2Config } from '../checkpoint/types.ts';

/** `gpt2sql.models`: one row per loaded model, with its hyperparameters as config.json names them. */
export interface ModelsTable extends Omit<Gpt2Config, 'model_type'> {
  name: string;
  schema_name: string;
  kernel: string;
  source: string;
  dtype: string;
  tied_lm_head: boolean;
  loaded_at: ColumnType<Date, Date | undefined, never>;
}

/** `gpt2sql.meta`: key/value facts about the database itself, such as its format version. */
export interface MetaTable {
  key: string;
  value: string;
}

/**
 * A model's own tables that short glue queries read, in the model's schema:
 * `db.kysely.withSchema(model.schema_name).selectFrom('vocab')`.
 */
export interface ModelTables {
  vocab: { token: number; symbol: string; bytes: Uint8Array };
}

/** Tables Kysely may touch, keyed by their qualified names. */
export interface CatalogTables {
  'gpt2sql.models': ModelsTable;
  'gpt2sql.meta': MetaTable;
}

export type ModelRow = Omit<ModelsTable, 'loaded_at'> & { loaded_at: Date };
