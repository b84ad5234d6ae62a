import { sql, type Kysely } from 'kysely';

/** The catalog: which models are loaded, and facts about the database itself. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('gpt2sql.models')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('schema_name', 'text', (col) => col.notNull().unique())
    .addColumn('n_layer', 'integer', (col) => col.notNull())
    .addColumn('n_head', 'integer', (col) => col.notNull())
    .addColumn('n_embd', 'integer', (col) => col.notNull())
    .addColumn('n_ctx', 'integer', (col) => col.notNull())
    .addColumn('vocab_size', 'integer', (col) => col.notNull())
    .addColumn('layer_norm_epsilon', 'float8', (col) => col.notNull())
    .addColumn('kernel', 'text', (col) => col.notNull())
    .addColumn('dtype', 'text', (col) => col.notNull())
    .addColumn('tied_lm_head', 'boolean', (col) => col.notNull())
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('loaded_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('gpt2sql.meta')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('value', 'text', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('gpt2sql.meta').execute();
  await db.schema.dropTable('gpt2sql.models').execute();
}
