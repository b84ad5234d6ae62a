import { createHash } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { quoteIdent } from '../sql/quote.ts';
import { partitionwiseSql } from '../sql/sharding.ts';
import { INPUT_TYPES, typedLiteral, type BoundStatement, type InputName, type InputValue } from '../sql/sql.ts';
import { SERIAL, type ParallelPlan } from './workers.ts';

/** The statements each connection has PREPAREd: a session's prepared statements outlive transactions. */
const preparedOn = new WeakMap<Database, Set<string>>();

/** Values of a statement's inputs, by name. */
export type InputValues = Partial<Record<InputName, InputValue>>;

export interface RunOptions {
  /**
   * Which scans of weights get parallel workers, and how many (workers.ts: parallelPlan); by
   * default none. Statements are planned once per plan.
   */
  parallel?: ParallelPlan;
}

/** What runs in one transaction on a model's tables (withModelStatements). */
export interface ModelStatements {
  /** Executes `statement` with its inputs and returns its rows. */
  run<R>(statement: BoundStatement, values: InputValues): Promise<R[]>;
  /** Executes `statement` into a new temporary table `table`, dropped at the end of the transaction. */
  into(table: string, statement: BoundStatement, values: InputValues): Promise<void>;
}

/**
 * Runs statements on the tables of the model whose schema is `schema`, in one transaction, each
 * from a plan made once per connection:
 * - the model's schema first on the search_path, for this transaction only (SET LOCAL): the
 *   templates name the model's tables unqualified, so one text serves every model; and
 *   partitionwise aggregates, which a sharded model's sums need (src/sql/sharding.ts);
 * - planned once: a statement is PREPAREd the first time it runs for a schema and a number of
 *   workers (a prepared statement keeps the search_path and the plan it was prepared with), then
 *   EXECUTEd with plan_cache_mode = force_generic_plan. Planning a forward pass took 85 ms of a
 *   0.87 s step on PGlite (17 ms on the server): every token paid it again;
 * - parallel workers for the scans worth them (options.parallel: workers.ts's parallelPlan, told
 *   to the planner by parallelSettings).
 *
 * @example
 * await withModelStatements(db, model.schema_name, { parallel: parallelPlan(model, 2, 1) }, async (statements) => {
 *   await statements.into('step_result', step, values);
 *   return statements.run(save, values);
 * });
 */
export async function withModelStatements<T>(db: Database, schema: string, options: RunOptions, fn: (statements: ModelStatements) => Promise<T>): Promise<T> {
  const parallel = options.parallel ?? SERIAL;
  return db.transaction(async () => {
    await db.exec(`SET LOCAL search_path TO ${quoteIdent(schema)}, public; SET LOCAL plan_cache_mode = force_generic_plan; ${partitionwiseSql(true)} ${parallelSettings(parallel)}`);
    const execute = async (statement: BoundStatement, values: InputValues) => {
      const name = await prepare(db, `${schema}\n${parallel.workers}\n${parallel.minScanBytes}`, statement);
      const args = statement.parameters.map((input) => argument(input, values));
      return `EXECUTE ${name}${args.length ? `(${args.join(', ')})` : ''}`;
    };
    return fn({
      run: async (statement, values) => db.query(await execute(statement, values)),
      into: async (table, statement, values) => db.exec(`CREATE TEMP TABLE ${quoteIdent(table)} ON COMMIT DROP AS ${await execute(statement, values)}`),
    });
  });
}

/**
 * Runs one statement on a model's tables (withModelStatements) and returns its rows.
 *
 * @example
 * await runStatement(db, model.schema_name, renderBound(next(model)), { ids: [15496], start: 0, temperature: 1, top: 5 });
 */
export async function runStatement<R>(db: Database, schema: string, statement: BoundStatement, values: InputValues, options: RunOptions = {}): Promise<R[]> {
  return withModelStatements(db, schema, options, (statements) => statements.run<R>(statement, values));
}

/**
 * The settings of a statement's parallel plan (workers.ts: parallelPlan), for its transaction only.
 * PostgreSQL weighs each worker's start (parallel_setup_cost) and each row handed back
 * (parallel_tuple_cost) against a cost model that counts a dot product as cheap as `+`: left as
 * they are, it would plan no workers for a block's rows. So with workers both are 0, and which
 * scans get them is the plan's rule, told as min_parallel_table_scan_size: the scans that read at
 * least that much of a table (PostgreSQL compares a scan's heap pages with it, an index scan's
 * too), whatever their index's size (min_parallel_index_scan_size 0).
 */
export function parallelSettings(plan: ParallelPlan): string {
  const settings = [`SET LOCAL max_parallel_workers_per_gather = ${plan.workers};`];
  if (plan.workers > 0) {
    settings.push('SET LOCAL parallel_setup_cost = 0;', 'SET LOCAL parallel_tuple_cost = 0;',
      `SET LOCAL min_parallel_table_scan_size = '${Math.ceil(plan.minScanBytes / 1024)}kB';`,
      'SET LOCAL min_parallel_index_scan_size = 0;');
  }
  return settings.join(' ');
}

function argument(input: InputName, values: InputValues): string {
  const value = values[input];
  if (value === undefined) throw new Error(`no value for the input ${input}`);
  return typedLiteral(input, value);
}

/** PREPAREs `statement` for `key` (schema and workers) unless this connection already has; its name. */
async function prepare(db: Database, key: string, statement: BoundStatement): Promise<string> {
  const name = `gpt2sql_${createHash('sha256').update(`${key}\n${statement.text}`).digest('hex').slice(0, 24)}`;
  const prepared = preparedOn.get(db) ?? new Set<string>();
  preparedOn.set(db, prepared);
  if (!prepared.has(name)) {
    const types = statement.parameters.map((input) => INPUT_TYPES[input]);
    await db.exec(`PREPARE ${name}${types.length ? ` (${types.join(', ')})` : ''} AS\n${statement.text}`);
    prepared.add(name);
  }
  return name;
}
