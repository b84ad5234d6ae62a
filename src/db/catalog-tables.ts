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
  /** How many servers hold the weight matrices (`load --shards`); 0 (the default): this database holds them. */
  shards: ColumnType<number, number | undefined, number>;
  loaded_at: ColumnType<Date, Date | undefined, never>;
}

/** `gpt2sql.shards`: the servers a sharded model's weight matrices are on, shard 0 first. */
export interface ShardsTable {
  model: string;
  shard: number;
  /** The postgres_fdw server on this database that reaches it (its user mapping holds the credentials). */
  server_name: string;
  /** host:port/database, never a user or a password. */
  location: string;
  /** The schema on the shard that holds the model's rows. */
  remote_schema: string;
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
  'gpt2sql.shards': ShardsTable;
}

export type ModelRow = Omit<ModelsTable, 'loaded_at' | 'shards'> & { loaded_at: Date; shards: number };
