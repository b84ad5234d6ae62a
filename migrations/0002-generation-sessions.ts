import { sql, type Kysely } from 'kysely';

/**
 * Generation sessions and their keys/values cache. One table for every model, keyed by session,
 * so one migration serves all models and the loader never creates tables at generation time.
 * Both are UNLOGGED: they hold a cache that a crash may lose (PostgreSQL empties unlogged tables
 * after one), so writing them skips the write-ahead log.
 *
 * - sessions: one row per running generation; backend_pid and started_at let a later session tell
 *   a live one from the leftovers of a killed process (see src/engine/session.ts).
 * - kv_cache: the keys and values of every position a session has computed, per block, as float8
 *   (heads side by side, [C] each), exactly what a full recompute would compute again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE UNLOGGED TABLE gpt2sql.sessions (
      session     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      model       text        NOT NULL,
      backend_pid integer     NOT NULL DEFAULT pg_backend_pid(),
      started_at  timestamptz NOT NULL DEFAULT clock_timestamp()
    )`.execute(db);
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

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE gpt2sql.kv_cache`.execute(db);
  await sql`DROP TABLE gpt2sql.sessions`.execute(db);
}
