import { sql, type Kysely } from 'kysely';

/**
 * gpt2sql.array_cat_agg(anycompatiblearray): PostgreSQL's array_cat as an aggregate, the arrays
 * of its rows one after another in one 1-D array (in the aggregate's ORDER BY). Attention puts
 * each position's heads side by side with it (sql/atty.sql): 12 arrays of 64 values joined, where
 * taking every value out of its head and aggregating them again sorted 768 values a position.
 * array_cat copies what it has gathered on every row, so it is for a few arrays (a position's
 * heads), not for one array per position of a long prompt. PARALLEL SAFE: a statement that holds
 * an unsafe function gets no parallel workers anywhere.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE AGGREGATE gpt2sql.array_cat_agg(anycompatiblearray) (
      SFUNC = array_cat,
      STYPE = anycompatiblearray,
      PARALLEL = SAFE
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP AGGREGATE gpt2sql.array_cat_agg(anycompatiblearray)`.execute(db);
}
