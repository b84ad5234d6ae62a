/**
 * gpt2sql trace: one forward pass with every intermediate kept as a table of a trace schema.
 *
 * It runs the forward pass's own SQL, not a second implementation: the parts of the engine's
 * statements (src/sql/forward.ts: encoded, the CTEs of a block, final, lnf) are run one at a
 * time, each into a temporary table of its name (trace_stage.sql), which the next part reads as it
 * would have read the CTE. A temporary table `forward` stands for forward.sql's recursive CTE: one
 * row per block with its output. The trace_*.sql templates copy each intermediate into the
 * trace's tables (trace_tables.sql, described in docs/trace.md).
 */
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { GptSqlError } from '../errors.ts';
import { schemaNamePart } from '../load/model-names.ts';
import { checkPrompt } from '../engine/options.ts';
import { parallelSettings } from '../engine/run-statement.ts';
import { parallelPlan, workersOption } from '../engine/workers.ts';
import { headLanes, logits, oneSequence, qkvHead, transformer } from '../sql/forward.ts';
import { quoteIdent } from '../sql/quote.ts';
import { partitionwiseSql } from '../sql/sharding.ts';
import { input, renderBound, renderInlined, sql, template, type Sql } from '../sql/sql.ts';
import { detokenize, probs } from '../sql/statements.ts';

/** The tables of a trace, in the order of the forward pass (trace_tables.sql). */
export const TRACE_TABLES = [
  'tokens', 'encoded', 'ln1', 'q', 'k', 'v', 'preatt', 'att', 'atty', 'attproj', 'residual2',
  'ln2', 'fch', 'fch_gelu', 'fcproj', 'residual3', 'lnf', 'logits', 'probs', 'lens',
] as const;

/** Which positions get the output head (logits and probs, or the logit lens): the last one (what comes next) or every one. */
export type OutputPositions = 'last' | 'all';
export const OUTPUT_POSITIONS: readonly OutputPositions[] = ['last', 'all'];

const SCHEMA_COMMENT = 'gpt2sql trace:';

/** The schema of the trace named `name`: `trace_` and the name as a schema name (`Hello-1` -> `trace_hello_1`). */
export function traceSchema(name: string): string {
  return `trace_${schemaNamePart('trace', name)}`;
}

export interface TraceOptions {
  /** The trace's name (`--as`); its schema is traceSchema(name). */
  name: string;
  /** The text the ids came from, kept in the trace's info table. */
  prompt: string;
  /** Stops after the statement running and rolls the trace back; the trace rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Parallel workers per scan of weights (0: none); by default the server's (workersOption). */
  workers?: number;
  /** The positions of the logits and probs tables: all (default) or the last one. */
  logits?: OutputPositions;
  /** The positions of the lens table: the last one (default) or all (n_layer times the logits' cost). */
  lens?: OutputPositions;
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
  const stagingSchema = quoteIdent(staging);
  const trace = sql`${stagingSchema}`;
  const parallel = parallelPlan(model, await workersOption(db, options.workers), ids.length);
  await db.transaction(async () => {
    options.signal?.throwIfAborted();
    // The model's tables unqualified, as the engine's statements name them (runStatement does the same).
    await db.exec(`SET LOCAL search_path TO ${quoteIdent(model.schema_name)}, public; SET LOCAL client_min_messages = warning; ${partitionwiseSql(true)} ${parallelSettings(parallel)}`);
    await refuseOtherSchema(db, schema);
    await db.exec(`DROP SCHEMA IF EXISTS ${stagingSchema} CASCADE`);
    await db.exec(statement(template('trace_tables', { trace })));
    const tokens = renderBound(template('trace_tokens', {
      trace, ids: input('ids'), model: input('model'), prompt: input('prompt'),
      detokenize: detokenize(sql`ARRAY[input.token]`),
    }));
    await db.query(tokens.text, tokens.parameters.map((name) => ({ ids, model: model.name, prompt: options.prompt })[name as 'ids' | 'model' | 'prompt']));
    await runForwardPass(db, model, ids, trace, options.logits ?? 'all', options.signal);
    options.signal?.throwIfAborted();
    await db.exec(statement(lensTable(model, trace, options.lens ?? 'last')));
    await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE; ALTER SCHEMA ${stagingSchema} RENAME TO ${quoteIdent(schema)}`);
    options.signal?.throwIfAborted();
  });
  return schema;
}

/** The forward pass, part by part, its intermediates copied into the trace's tables. */
async function runForwardPass(db: Database, model: ModelRow, ids: readonly number[], trace: Sql, outputs: OutputPositions, signal: AbortSignal | undefined): Promise<void> {
  const fed = { ...oneSequence(sql`ARRAY(SELECT token FROM ${trace}.tokens ORDER BY t)`, 0), counts: { positions: ids.length } };
  const parts = transformer(model, fed, 'all', 'recursive');
  await db.exec(statement(template('trace_begin', { trace, fed: parts.fed, encoded: parts.encoded, n_embd: model.n_embd })));
  const heads = { q: qkvHead(model, 'q'), k: qkvHead(model, 'k'), v: qkvHead(model, 'v') };
  for (let b = 0; b < model.n_layer; b++) {
    for (const cte of parts.block.list) {
      signal?.throwIfAborted();
      await runStage(db, cte.name, cte.body, b - 1);
    }
    signal?.throwIfAborted();
    await db.exec(statement(template('trace_block', { trace, block: b, n_embd: model.n_embd, n_head: model.n_head, ...heads })));
  }
  await runStage(db, 'final', parts.final, model.n_layer - 1);
  await runStage(db, 'lnf', parts.lnf, model.n_layer - 1);
  signal?.throwIfAborted();
  const logitsLanes = headLanes(outputs === 'last' ? 1 : ids.length);
  await db.exec(statement(template('trace_end', { trace, kept: positionsOf(trace, outputs, 'lnf'), logits: logits(model, logitsLanes), probs: probs() })));
}

/** trace_lens.sql: each block's output through ln_f and the output head, top 5 (the lens table). */
function lensTable(model: ModelRow, trace: Sql, positions: OutputPositions): Sql {
  const parts = transformer(model, oneSequence(sql`ARRAY[]::int[]`, 0), 'all', 'recursive');
  return template('trace_lens', {
    trace,
    positions: positionsOf(trace, positions, 'residual3'),
    lnf: parts.lnf, logits: logits(model), probs: probs(),
    detokenize: detokenize(sql`ARRAY[top.token]`), n_layer: model.n_layer,
  });
}

/** The condition on `table`'s rows that keeps `positions`. */
function positionsOf(trace: Sql, positions: OutputPositions, table: string): Sql {
  return positions === 'last' ? sql`${table}.t = (SELECT max(t) FROM ${trace}.tokens)` : sql`true`;
}

/** One part into a temporary table of its name; `previous` is the block whose output it reads. */
async function runStage(db: Database, name: string, body: Sql, previous: number): Promise<void> {
  await db.exec(statement(template('trace_stage', { name: sql`${quoteIdent(name)}`, body, previous })));
}

/** A trace statement: no user value in it (the ids are read from the trace's tokens table). */
function statement(part: Sql): string {
  return renderInlined(part, {});
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
