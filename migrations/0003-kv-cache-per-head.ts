import { sql, type Kysely } from 'kysely';

/**
 * The keys/values cache gets one row per head: (session, block, place, head) with k and v of
 * HS values each. At a long context a step reads every cached row of every block; rows of C
 * values (float8, 6 kB at C = 768) were TOASTed, and attention sliced each head out of them
 * again and again (measured: a step at context 512 took 15 times one at context 16). Rows of
 * HS values stay inline and are used whole. It is a cache: the old rows are simply dropped.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE gpt2sql.kv_cache`.execute(db);
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

/**
 * A migration's down restores history verbatim: the table exactly as 0002 created it (a migration
 * is frozen, so it repeats that DDL rather than sharing it, and its up's DDL differs by one column).
 */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE gpt2sql.kv_cache`.execute(db);
  await sql`
    CREATE UNLOGGED TABLE gpt2sql.kv_cache (
      session bigint   NOT NULL,
      block   integer  NOT NULL,
      place   integer  NOT NULL,
      k       float8[] NOT NULL,
      v       float8[] NOT NULL,
      PRIMARY KEY (session, block, place)
    )`.execute(db);
}
