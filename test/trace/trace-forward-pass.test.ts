import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Database } from '../../src/db/database.ts';
import { lensDistribution } from '../../src/reference/lens.ts';
import { gpt2Trace, type Gpt2Trace } from '../../src/reference/trace.ts';
import type { Gpt2Weights } from '../../src/reference/weights.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { TRACE_TABLES, traceForwardPass, traceSchema } from '../../src/trace/trace-forward-pass.ts';
import { testDatabases } from '../helpers/databases.ts';
import { dropModel, loadGeneratedModel } from '../helpers/loaded-model.ts';
import { expectClose, TRACE_TOLERANCE as TOLERANCE, type Nested } from '../helpers/numeric.ts';
import { HOT } from '../engine/hot-models.ts';
import { cutTiktoken, SMALL_VOCAB } from '../helpers/small-vocab.ts';
import { readTrace } from './read-trace.ts';

// The subject is the trace, not the vocabulary: the small one, and its reference tokenizer.
const tiktoken = cutTiktoken(SMALL_VOCAB);
const PROMPT = "It's a trace"; // 6 tokens: the logits and probs tables hold T * V rows
const CHECKPOINT = { n_layer: 2, n_head: 2, n_embd: 32, n_ctx: 32, vocab_size: SMALL_VOCAB, seed: 21 };
const HOT_PROMPT_START = 'The quick brown fox'; // starts with the token whose embedding row is constant

describe.each(testDatabases())('traceForwardPass on $driver', (target) => {
  let db: Database;
  let weights: Gpt2Weights;
  const models: ModelRow[] = [];
  const traces: string[] = [];

  beforeAll(async () => {
    db = await target.open();
    const available = await db.availableExtensions();
    const kernels = ['array', ...['vector', 'cube'].filter((kernel) => available.has(kernel))];
    for (const kernel of kernels) {
      const loaded = await loadGeneratedModel(db, `trace_${kernel}`, CHECKPOINT, kernel);
      models.push(loaded.model);
      weights = loaded.weights;
    }
  });
  afterAll(async () => {
    for (const schema of traces) await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    for (const model of models) await dropModel(db, model);
    await db.close();
  });

  it('keeps every intermediate equal to the reference implementation, on each kernel', async () => {
    const ids = tiktoken.encode(PROMPT);
    const expected = gpt2Trace(weights, ids);
    for (const model of models) {
      const schema = await traceForwardPass(db, model, ids, { name: model.name, prompt: PROMPT });
      traces.push(schema);
      const actual = await readTrace(db, schema, model);
      expect(actual.tokens).toEqual(ids);
      expect(actual.text.join('')).toBe(PROMPT);
      compareTraces(actual, expected, TOLERANCE[model.kernel], model.kernel);
    }
  });

  it('keeps the logit lens of every block equal to the reference, at the last position or at all, with logits of the last position only', async () => {
    const ids = tiktoken.encode(PROMPT);
    const expected = gpt2Trace(weights, ids);
    for (const model of models) {
      const name = `${model.name}_lens`;
      const schema = await traceForwardPass(db, model, ids, { name, prompt: PROMPT, lens: 'all', logits: 'last' });
      traces.push(schema);
      const lens = await db.query<LensTableRow>(`SELECT block, t, rank, token, text, logit, prob FROM ${schema}.lens ORDER BY block, t, rank`);
      expect(lens.length).toBe(model.n_layer * ids.length * 5);
      for (let t = 0; t < ids.length; t++) {
        for (let b = 0; b < model.n_layer; b++) {
          expectLens(lens.filter((row) => row.block === b && row.t === t), lensDistribution(weights, expected, b, t), TOLERANCE[model.kernel], `${model.kernel}: block ${b}, t ${t}`);
        }
      }
      expect(lens.filter((row) => row.rank === 1 && row.t === 0).map((row) => row.text)).toEqual(
        lens.filter((row) => row.rank === 1 && row.t === 0).map((row) => tiktoken.decode([row.token])));
      const [{ positions }] = await db.query<{ positions: number[] }>(`SELECT array_agg(DISTINCT t) AS positions FROM ${schema}.logits`);
      expect(positions).toEqual([ids.length - 1]);
      expectClose((await readTrace(db, schema, model)).logits, [expected.logits[ids.length - 1]], TOLERANCE[model.kernel], 'logits of the last position');

      const last = await traceForwardPass(db, model, ids, { name, prompt: PROMPT });
      const [{ places }] = await db.query<{ places: number[] }>(`SELECT array_agg(DISTINCT t) AS places FROM ${last}.lens`);
      expect(places, 'the lens looks at the last position by default').toEqual([ids.length - 1]);
    }
  });

  it('keeps every intermediate of the hot checkpoint (a constant row, scores spread by > 1000) within tolerance, on each kernel', async () => {
    const kernels = models.map((model) => model.kernel);
    const ids = tiktoken.encode(HOT_PROMPT_START); // the hot checkpoint has the small vocabulary too
    for (const kernel of kernels) {
      const hot = await loadGeneratedModel(db, `trace_hot_${kernel}`, HOT, kernel);
      models.push(hot.model);
      const schema = await traceForwardPass(db, hot.model, ids, { name: hot.model.name, prompt: HOT_PROMPT_START });
      traces.push(schema);
      const expected = gpt2Trace(hot.weights, ids);
      expect(Math.min(...expected.encoded[0]), 'the first row is constant').toBe(Math.max(...expected.encoded[0]));
      const spread = Math.max(...expected.blocks.flatMap((block) => block.preatt.flat().map((row) => Math.max(...row) - Math.min(...row))));
      expect(spread, 'attention scores spread within a row').toBeGreaterThan(1000);
      // Values reach ~3000 in the residual stream: each table is compared relative to its largest value.
      compareTraces(await readTrace(db, schema, hot.model), expected, TOLERANCE[kernel], `${kernel}, hot`, true);
    }
  });

  it('replaces a trace of the same name atomically, and never a schema that is not a trace', async () => {
    const model = models[0];
    const name = `${model.name}_again`;
    const schema = traceSchema(name);
    traces.push(schema);
    await traceForwardPass(db, model, tiktoken.encode('one two'), { name, prompt: 'one two' });
    await traceForwardPass(db, model, tiktoken.encode('four'), { name, prompt: 'four' });
    const [info] = await db.query<{ prompt: string; tokens: number }>(
      `SELECT prompt, (SELECT count(*)::int FROM ${schema}.tokens) AS tokens FROM ${schema}.info`);
    expect(info).toEqual({ prompt: 'four', tokens: tiktoken.encode('four').length });
    const [{ tables }] = await db.query<{ tables: string[] }>(
      'SELECT array_agg(tablename::text ORDER BY tablename) AS tables FROM pg_tables WHERE schemaname = $1', [schema]);
    expect(tables).toEqual([...TRACE_TABLES, 'info'].sort());

    const broken = { ...model, kernel: model.kernel === 'array' ? 'vector' : 'array' }; // fails at the first dot product
    await expect(traceForwardPass(db, broken, [1], { name, prompt: 'broken' })).rejects.toThrow();
    expect(await db.query(`SELECT prompt FROM ${schema}.info`)).toEqual([{ prompt: 'four' }]);
    expect(await db.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 || '\\_\\_%'", [schema])).toEqual([]);

    const modelSchemaAsTrace = model.schema_name.replace(/^trace_/, ''); // trace_NAME is this model's schema
    await expect(traceForwardPass(db, model, [1], { name: modelSchemaAsTrace, prompt: '"' })).rejects.toThrow(/not a gpt2sql trace/);
    const [{ count }] = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${quoteIdent(model.schema_name)}.wte`);
    expect(count).toBe(model.vocab_size); // the model named trace_… is untouched
  });
});

interface LensTableRow { block: number; t: number; rank: number; token: number; text: string; logit: number; prob: number }

/**
 * One block's lens rows (rank 1 to 5) against the reference's distribution: each token's logit and
 * probability, ranks in order of logit, and no token of the reference's top 5 left out (up to a
 * tie within the tolerance, where either order is right).
 */
function expectLens(rows: LensTableRow[], expected: { logits: Float64Array; probs: Float64Array }, tolerance: number, what: string): void {
  expect(rows.map((row) => row.rank), what).toEqual([1, 2, 3, 4, 5]);
  expectClose(rows.map((row) => row.logit), rows.map((row) => expected.logits[row.token]), tolerance, `${what}: lens logits`);
  expectClose(rows.map((row) => row.prob), rows.map((row) => expected.probs[row.token]), tolerance, `${what}: lens probabilities`);
  const fifth = [...expected.logits].sort((a, b) => b - a)[4];
  for (const row of rows) expect(expected.logits[row.token], `${what}: token ${row.token} is in the reference's top 5`).toBeGreaterThanOrEqual(fifth - 2 * tolerance);
  for (let i = 1; i < rows.length; i++) expect(rows[i].logit, `${what}: ranked by logit`).toBeLessThanOrEqual(rows[i - 1].logit);
}

/**
 * Every table of the trace against the reference's intermediate of the same name; `relative`:
 * the tolerance is scaled by the table's largest absolute value (when that is above 1).
 */
function compareTraces(actual: Gpt2Trace, expected: Gpt2Trace, tolerance: number, kernel: string, relative = false): void {
  const check = (a: Nested, e: Nested, what: string) =>
    expectClose(a, e, relative ? tolerance * Math.max(1, largest(e)) : tolerance, `${what} (${kernel} kernel)`);
  check(actual.encoded, expected.encoded, 'encoded');
  expected.blocks.forEach((block, b) => {
    for (const name of ['ln1', 'q', 'k', 'v', 'preatt', 'att', 'atty', 'attproj', 'residual2', 'ln2', 'fch', 'fch_gelu', 'fcproj', 'residual3'] as const) {
      check(actual.blocks[b][name], block[name], `block ${b} ${name}`);
    }
  });
  check(actual.lnf, expected.lnf, 'lnf');
  check(actual.logits, expected.logits, 'logits');
  check(actual.probs, expected.probs, 'probs');
}

function largest(x: Nested): number {
  if (typeof x === 'number') return Math.abs(x);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, largest(x[i] as Nested));
  return max;
}
