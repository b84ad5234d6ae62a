import type { ColumnType, Generated } from 'kysely';

/** `gpt2sql.models`: one row per loaded model. */
export interface ModelsTable {
  name: string;
  schema_name: string;
  n_layer: number;
  n_head: number;
  n_embd: number;
  n_ctx: number;
  vocab_size: number;
  layer_norm_epsilon: number;
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

/** Tables Kysely may touch, keyed by their qualified names. */
export interface CatalogTables {
  'gpt2sql.models': ModelsTable;
  'gpt2sql.meta': MetaTable;
}

export type ModelRow = Omit<ModelsTable, 'loaded_at'> & { loaded_at: Date };
export type NoGenerated<T> = T extends Generated<infer U> ? U : T;
