/**
 * What the explorer shows of a trace, each view one statement of sql/view_*.sql over the trace's
 * tables: run with bind parameters for the page, and the same statement with its values inlined
 * for psql (the "show the SQL" of each panel), with the tables it reads.
 */
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { runStatement, type InputValues } from '../engine/run-statement.ts';
import { quoteIdent } from '../sql/quote.ts';
import { psqlScript } from '../sql/script.ts';
import { input, renderBound, sql, template, type Sql } from '../sql/sql.ts';
import { detokenize, probs, sample, type Sampling } from '../sql/statements.ts';

/** One view of a trace: its statement, the values of its inputs, and the tables it reads. */
export interface TraceView {
  /** What the view shows, one line (the script's header). */
  title: string;
  statement: Sql;
  values: InputValues;
  tables: string[];
}

/** The SQL behind a view, for psql, and the tables it reads (schema-qualified). */
export interface ShownView {
  sql: string;
  tables: string[];
}

const traceSql = (schema: string): Sql => sql`${quoteIdent(schema)}`;
const traceTable = (schema: string, table: string) => `${schema}.${table}`;

/** view_tokens.sql: the prompt's tokens with their ids, texts and bytes. */
export function tokensView(model: ModelRow, schema: string): TraceView {
  return {
    title: 'the traced prompt\'s tokens: position, id, text, bytes (hex)',
    statement: template('view_tokens', { trace: traceSql(schema) }),
    values: {},
    tables: [traceTable(schema, 'tokens'), `${model.schema_name}.vocab`],
  };
}

/** view_attention.sql: every head's attention weights, rounded for a grid. */
export function attentionView(schema: string): TraceView {
  return {
    title: 'every head\'s attention weights (block, head, query t, key s), rounded to 4 decimals',
    statement: template('view_attention', { trace: traceSql(schema) }),
    values: {},
    tables: [traceTable(schema, 'att')],
  };
}

/** view_head.sql: one head's exact attention weights. */
export function headView(schema: string, block: number, head: number): TraceView {
  return {
    title: `the attention weights of block ${block}, head ${head}: row t (query), column s (key)`,
    statement: template('view_head', { trace: traceSql(schema), block: input('block'), head: input('head') }),
    values: { block, head },
    tables: [traceTable(schema, 'att')],
  };
}

/** view_lens.sql: the logit lens at the last position. */
export function lensView(schema: string): TraceView {
  return {
    title: 'the logit lens: the top 5 tokens of each block\'s output through ln_f and the output head',
    statement: template('view_lens', { trace: traceSql(schema) }),
    values: {},
    tables: [traceTable(schema, 'lens'), traceTable(schema, 'tokens')],
  };
}

/** view_next.sql: the `top` candidates after the prompt, kept or not by the sampling options. */
export function nextView(model: ModelRow, schema: string, sampling: Sampling, top: number): TraceView {
  const values = { temperature: sampling.temperature, top_k: Math.min(sampling.topK, model.vocab_size), top_p: sampling.topP, min_p: sampling.minP };
  return {
    title: `the ${top} most probable next tokens at temperature ${values.temperature}, top_k ${values.top_k}, top_p ${values.top_p}, min_p ${values.min_p}: which ones sampling keeps`,
    statement: template('view_next', {
      trace: traceSql(schema), temperature: input('temperature'), top_k: input('top_k'), top_p: input('top_p'), min_p: input('min_p'), top: input('top'),
      probs: probs(), sample: sample(true), detokenize: detokenize(sql`ARRAY[shown.token]`),
    }),
    values: { ...values, top },
    tables: [traceTable(schema, 'logits'), traceTable(schema, 'tokens'), `${model.schema_name}.vocab`],
  };
}

/** The view's rows, from the model's schema (for vocab) and the trace's tables. */
export function runView<R>(db: Database, model: ModelRow, view: TraceView): Promise<R[]> {
  return runStatement<R>(db, model.schema_name, renderBound(view.statement), view.values);
}

/** The view as a psql script, ready to paste. */
export function shownView(model: ModelRow, view: TraceView): ShownView {
  return { sql: psqlScript(model, [`gpt2sql explorer: ${view.title}.`], view.statement, view.values), tables: view.tables };
}
