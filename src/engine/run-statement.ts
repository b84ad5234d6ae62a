import { createHash } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { quoteLiteral } from '../sql/render.ts';
import { INPUT_TYPES, type InputName, type Statement } from '../sql/statements.ts';

/** The statements each connection has PREPAREd: a session's prepared statements outlive transactions. */
const preparedOn = new WeakMap<Database, Set<string>>();

/**
 * Runs a model statement with its inputs, from a plan made once per connection, with
 * PostgreSQL's JIT off.
 * - Planned once: the statement is PREPAREd the first time it runs for a schema (search_path
 *   decides which model's tables it reads, and a prepared statement keeps the search_path it was
 *   prepared with), then EXECUTEd with plan_cache_mode = force_generic_plan. Planning a forward pass
 *   took 85 ms of a 0.87 s step on PGlite (17 ms on the server): every token paid it again.
 * - JIT off: the planner's estimate for a forward pass is far above jit_above_cost, and a server
 *   then spends seconds compiling a statement that runs in a fraction of that (measured: 3.5 s
 *   against 0.2 s on a tiny model).
 * SET LOCAL ends with the transaction.
 */
export async function runStatement<R, N extends InputName>(db: Database, statement: Statement<N>, values: Record<N, unknown>): Promise<R[]> {
  return db.transaction(async () => {
    await db.exec('SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_generic_plan');
    const name = await prepare(db, statement);
    const args = statement.parameters.map((input) => literal(values[input], INPUT_TYPES[input]));
    return db.query<R>(`EXECUTE ${name}(${args.join(', ')})`);
  });
}

/** PREPAREs `statement` for the current search_path unless this connection already has; its name. */
async function prepare(db: Database, statement: Statement<InputName>): Promise<string> {
  const [{ search_path }] = await db.query<{ search_path: string }>("SELECT current_setting('search_path') AS search_path");
  const name = `gpt2sql_${createHash('sha256').update(`${search_path}\n${statement.text}`).digest('hex').slice(0, 24)}`;
  const prepared = preparedOn.get(db) ?? new Set<string>();
  preparedOn.set(db, prepared);
  if (!prepared.has(name)) {
    const types = statement.parameters.map((input) => INPUT_TYPES[input]);
    await db.exec(`PREPARE ${name} (${types.join(', ')}) AS\n${statement.text}`);
    prepared.add(name);
  }
  return name;
}

/**
 * An input as an SQL literal of its type: numbers and arrays of numbers only (token ids, places,
 * sampling options), written as PostgreSQL reads them back exactly (JavaScript's shortest
 * round-trip form of a double).
 */
function literal(value: unknown, type: string): string {
  const text = Array.isArray(value) || ArrayBuffer.isView(value) ? `{${Array.from(value as ArrayLike<unknown>, numberText).join(',')}}` : numberText(value);
  return `${quoteLiteral(text)}::${type}`;
}

function numberText(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'number') throw new TypeError(`a statement input must be a number or an array of numbers, not ${typeof value}`);
  return Number.isNaN(value) ? 'NaN' : value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : String(value);
}
