import { sql, type Kysely } from 'kysely';

interface LoadedModel {
  schema_name: string;
  kernel: string;
}

/**
 * What lets PostgreSQL scan weights with parallel workers (a plan that holds a correlated
 * subquery, or a function not marked PARALLEL SAFE, never runs in workers):
 * - gpt2sql.dot(a, b): the array kernel's dot product of a stored float4[] row (or a float8[]
 *   vector) and a float8[] activation, the products summed in float8 in index order, as the
 *   correlated subquery `(SELECT sum(x * y) FROM unnest(a, b))` did, as a PARALLEL SAFE function;
 * - position_activation in each model's schema: one position's activation prepared in the
 *   kernel's type (and the part of a stored row it meets), the element of the one array of every
 *   position that the statements compute before a scan and hand to its workers. The loader
 *   creates it for new models; models loaded earlier get it here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const type of ['float4[]', 'float8[]']) {
    await sql.raw(`
      CREATE FUNCTION gpt2sql.dot(a ${type}, b float8[]) RETURNS float8
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $$ SELECT sum(x * y) FROM (SELECT unnest(a) AS x, unnest(b) AS y) AS pair $$`).execute(db);
  }
  const models = await sql<LoadedModel>`SELECT schema_name, kernel FROM gpt2sql.models`.execute(db);
  for (const model of models.rows) {
    await sql.raw(`CREATE TYPE ${quoteIdent(model.schema_name)}.position_activation AS (t integer, part integer, x ${preparedType(model.kernel)})`).execute(db);
  }
}

/**
 * The type of a prepared activation, as format 5 has it. Like quoteIdent below, written out here
 * rather than imported (as 0004 writes out its own): a migration never changes with live code.
 */
function preparedType(kernel: string): string {
  if (kernel === 'vector') return 'vector';
  if (kernel === 'cube') return 'cube[]';
  if (kernel === 'array') return 'float8[]';
  throw new Error(`gpt2sql.models names the unknown kernel "${kernel}"; drop that model and load it again`);
}

/** An identifier in double quotes, its own double quotes doubled. */
function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const models = await sql<LoadedModel>`SELECT schema_name FROM gpt2sql.models`.execute(db);
  for (const model of models.rows) await sql.raw(`DROP TYPE IF EXISTS ${quoteIdent(model.schema_name)}.position_activation`).execute(db);
  await sql`DROP FUNCTION gpt2sql.dot(float4[], float8[])`.execute(db);
  await sql`DROP FUNCTION gpt2sql.dot(float8[], float8[])`.execute(db);
}
