/**
 * gpt2sql trace: one forward pass with every intermediate kept as a table of a trace schema.
 *
 * It runs the forward pass's own SQL, not a second implementation: the CTEs of transformer.sql
 * and block.sql, rendered by src/sql/forward.ts exactly as the engine's statements contain them,
 * are run one at a time, each into a temporary table of its name (trace_stage.sql), which the next
 * CTE reads as it would have read the CTE. A temporary table `forward` stands for forward.sql's
 * recursive CTE: one row per block with its output. The trace_*.sql templates copy each
 * intermediate into the trace's tables (trace_tables.sql, described in docs/trace.md).
 */
import { stopIfAborted } from '../aborted.ts';
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { GptSqlError } from '../errors.ts';
import { useModel } from '../engine/model.ts';
import { checkPrompt } from '../engine/options.ts';
import { blockSql, logitsSql, nest, transformerSql, type ForwardInputs } from '../sql/forward.ts';
import { quoteIdent, render } from '../sql/render.ts';
import { detokenizeStatement } from '../sql/script.ts';
import { splitCtes, type Cte } from '../sql/sql-text.ts';

/** The tables of a trace, in the order of the forward pass (trace_tables.sql). */
export const TRACE_TABLES = [
  'tokens', 'encoded', 'ln1', 'q', 'k', 'v', 'preatt', 'att', 'atty', 'attproj', 'residual2',
  'ln2', 'fch', 'fch_gelu', 'fcproj', 'residual3', 'lnf', 'logits', 'probs',
] as const;

const SCHEMA_COMMENT = 'gpt2sql trace:';

/**
 * The schema of the trace named `name`: `trace_` and the name in lower case, anything but letters,
 * digits and underscores turned into underscores (`Hello-1` -> `trace_hello_1`).
 */
export function traceSchema(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/.test(name)) { // as model names: the default is one
    throw new GptSqlError(`"${name}" is not a usable trace name; use up to 48 letters, digits, '_', '-' or '.', starting with a letter or digit (--as NAME)`);
  }
  return `trace_${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

export interface TraceOptions {
  /** The trace's name (`--as`); its schema is traceSchema(name). */
  name: string;
  /** The text the ids came from, kept in the trace's info table. */
  prompt: string;
  /** Stops after the statement running and rolls the trace back; the trace rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Runs one forward pass over `ids` and keeps every intermediate in the trace schema of
 * `options.name`, replacing an earlier trace of that name atomically (one transaction). Refuses
 * to replace a schema that is not a trace. Returns the schema's name. `options.signal` is looked
 * at between statements, the last time just before COMMIT.
 *
 * @example
 * const schema = await traceForwardPass(db, model, [15496, 11, 995], { name: 'hello', prompt: 'Hello, world' });
 * await db.query(`SELECT * FROM ${schema}.att WHERE block = 0 AND head = 1`);
 */
export async function traceForwardPass(db: Database, model: ModelRow, ids: readonly number[], options: TraceOptions): Promise<string> {
  checkPrompt(model, ids);
  const schema = traceSchema(options.name);
  const staging = `${schema}__${process.pid}`;
  const trace = quoteIdent(staging);
  await useModel(db, model);
  await db.transaction(async () => {
    await stopIfAborted(options.signal);
    await db.exec('SET LOCAL jit = off; SET LOCAL client_min_messages = warning');
    await refuseOtherSchema(db, schema);
    await db.exec(`DROP SCHEMA IF EXISTS ${trace} CASCADE`);
    await db.exec(render('trace_tables', { trace }));
    const detokenize = nest(detokenizeStatement('ARRAY[input.token]'), 9);
    await db.query(render('trace_tokens', { trace, detokenize }), [ids, model.name, options.prompt]);
    await runForwardPass(db, model, trace, options.signal);
    await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE; ALTER SCHEMA ${trace} RENAME TO ${quoteIdent(schema)}`);
    await stopIfAborted(options.signal);
  });
  return schema;
}

/** The forward pass, CTE by CTE, its intermediates copied into the trace's tables. */
async function runForwardPass(db: Database, model: ModelRow, trace: string, signal: AbortSignal | undefined): Promise<void> {
  const inputs: ForwardInputs = { ids: `ARRAY(SELECT token FROM ${trace}.tokens ORDER BY t)`, start: '0' };
  const top = ctesByName(transformerSql(model, inputs, 'all'));
  await db.exec(render('trace_begin', { trace, encoded: nest(top.get('encoded')!, 2), n_embd: model.n_embd }));
  const block = splitCtes(blockSql(model, inputs)).ctes;
  for (let b = 0; b < model.n_layer; b++) {
    for (const stage of block) {
      await stopIfAborted(signal);
      await runStage(db, stage, b - 1);
    }
    await stopIfAborted(signal);
    await db.exec(render('trace_block', {
      trace, block: b, n_embd: model.n_embd, n_head: model.n_head, head_size: model.n_embd / model.n_head,
    }));
  }
  for (const name of ['final', 'lnf']) await runStage(db, { name, body: top.get(name)! }, model.n_layer - 1);
  await stopIfAborted(signal);
  const probs = render('probs', { temperature: '1::float8' }).trimEnd();
  await db.exec(render('trace_end', { trace, logits: nest(logitsSql(model).trim(), 2), probs: nest(probs, 2) }));
}

/** One CTE into a temporary table of its name; `previous` is the block whose output it reads. */
async function runStage(db: Database, stage: Cte, previous: number): Promise<void> {
  await db.exec(render('trace_stage', { name: quoteIdent(stage.name), body: nest(stage.body.trim(), 2), previous }));
}

function ctesByName(sql: string): Map<string, string> {
  return new Map(splitCtes(sql).ctes.map((cte) => [cte.name, cte.body.trim()]));
}

/** A schema of the trace's name that is not a trace (a model, the user's own) is never replaced. */
async function refuseOtherSchema(db: Database, schema: string): Promise<void> {
  const [found] = await db.query<{ comment: string | null }>(
    "SELECT obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = $1",
    [schema],
  );
  if (found && !found.comment?.startsWith(SCHEMA_COMMENT)) {
    throw new GptSqlError(`the database already has a schema "${schema}" that is not a gpt2sql trace; choose another name with --as NAME`);
  }
}
