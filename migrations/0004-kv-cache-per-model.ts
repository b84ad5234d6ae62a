import { sql, type Kysely } from 'kysely';
import { kvCacheTableSql } from '../src/load/kv-cache-table.ts';
import { quoteIdent } from '../src/sql/render.ts';

interface CachedModel {
  schema_name: string;
  kernel: string;
  n_embd: number;
  n_head: number;
}

/**
 * The keys/values cache moves into each model's schema, as `kv_cache`, its heads stored in the
 * types attention uses (pgvector's vector, cube, float8[]) instead of float8[] for every kernel:
 * a step no longer converts every cached key and value (measured on PGlite with pgvector at
 * context 512: 0.70 s -> 0.64 s a step). Its rows go with their session (a foreign key, ON DELETE
 * CASCADE), the table with its model. Models loaded earlier get theirs here; the loader creates
 * it for new ones. It is a cache: the old rows are simply dropped.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const models = await sql<CachedModel>`SELECT schema_name, kernel, n_embd, n_head FROM gpt2sql.models`.execute(db);
  for (const model of models.rows) await sql.raw(kvCacheTableSql(model.schema_name, model)).execute(db);
  await sql`DROP TABLE gpt2sql.kv_cache`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const models = await sql<CachedModel>`SELECT schema_name FROM gpt2sql.models`.execute(db);
  for (const model of models.rows) await sql.raw(`DROP TABLE IF EXISTS ${quoteIdent(model.schema_name)}.kv_cache`).execute(db);
  await sql`
    CREATE UNLOGGED TABLE gpt2sql.kv_cache (
      session bigint   NOT NULL,
      block   integer  NOT NULL,
      place   integer  NOT NULL,
      head    integer  NOT NULL,
      k       float8[] NOT NULL,
      v       float8[] NOT NULL,
      PRIMARY KEY (session, block, place, head)
    )`.execute(db);
}
