import { sql, type Kysely } from 'kysely';

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
  for (const model of models.rows) {
    const { k, v } = cachedHeadTypes(model);
    await sql.raw(`
      CREATE UNLOGGED TABLE ${quoteIdent(model.schema_name)}.kv_cache (
        session bigint  NOT NULL REFERENCES gpt2sql.sessions ON DELETE CASCADE,
        block   integer NOT NULL,
        place   integer NOT NULL,
        head    integer NOT NULL,
        k       ${k} NOT NULL,
        v       ${v} NOT NULL,
        PRIMARY KEY (session, block, place, head)
      )`).execute(db);
  }
  await sql`DROP TABLE gpt2sql.kv_cache`.execute(db);
}

/**
 * The types of a head's key and value in the cache, as format 4 has them: keys in the type of the
 * kernel's q·k (pgvector's vector; a cube for heads of up to 100 values, cube's limit; else
 * float8[]), values in the type att @ v reads (vector for pgvector, else float8[]).
 */
function cachedHeadTypes({ kernel, n_embd, n_head }: CachedModel): { k: string; v: string } {
  if (kernel === 'vector') return { k: 'vector', v: 'vector' };
  if (kernel === 'cube') return { k: n_embd / n_head <= 100 ? 'cube' : 'float8[]', v: 'float8[]' };
  if (kernel === 'array') return { k: 'float8[]', v: 'float8[]' };
  throw new Error(`gpt2sql.models names the unknown kernel "${kernel}"; drop that model and load it again`);
}

/** An identifier in double quotes, its own double quotes doubled. */
function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A migration's down restores history verbatim: the shared table exactly as 0003 created it. */
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
