import { sql, type Kysely } from 'kysely';

/**
 * Sharded models (`gpt2sql load … --shards URL,URL`): the catalog records each model's shards.
 * - gpt2sql.models.shards: how many servers hold the model's weight matrices (0: all here);
 * - gpt2sql.shards: one row per shard of a model, in key order: the postgres_fdw server that
 *   reaches it (its user mapping holds the credentials), where it is (host:port/database, never a
 *   user or password: `gpt2sql models` shows it), and the schema there that holds the rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE gpt2sql.models ADD COLUMN shards integer NOT NULL DEFAULT 0`.execute(db);
  await sql`
    CREATE TABLE gpt2sql.shards (
      model        text    NOT NULL REFERENCES gpt2sql.models (name) ON DELETE CASCADE,
      shard        integer NOT NULL,
      server_name  text    NOT NULL,
      location     text    NOT NULL,
      remote_schema text   NOT NULL,
      PRIMARY KEY (model, shard)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE gpt2sql.shards`.execute(db);
  await sql`ALTER TABLE gpt2sql.models DROP COLUMN shards`.execute(db);
}
