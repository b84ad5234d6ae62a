// The measurements of scripts/bench.ts, one function each. Every figure comes from the database
// doing the real work; nothing here is estimated except where a function says so.
import type { Checkpoint } from '../../src/checkpoint/types.ts';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Database } from '../../src/db/database.ts';
import { generate } from '../../src/engine/generate.ts';
import { Scheduler } from '../../src/engine/scheduler.ts';
import { checkPrompt, completionOptions } from '../../src/engine/options.ts';
import { withModelStatements } from '../../src/engine/run-statement.ts';
import { openSession } from '../../src/engine/session.ts';
import { loadModel } from '../../src/load/load-model.ts';
import { weightTables } from '../../src/load/weight-tables.ts';
import { cachedHeads, kernel, rowParts } from '../../src/sql/kernels/index.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { renderInlined, sql, type Sql } from '../../src/sql/sql.ts';
import { DEFAULT_SAMPLING } from '../../src/sql/sampling-fields.ts';
import { batchStatements, batchStep } from '../../src/engine/batch-step.ts';

const seconds = (since: number) => (performance.now() - since) / 1000;

/** Seeded token ids (mulberry32), so every run feeds the same prompt. */
export function promptIds(length: number, seed = 1, vocab = 50000): number[] {
  let a = seed;
  return Array.from({ length }, () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % vocab;
  });
}

/** The load of a checkpoint; with `shards` (their URLs), its weight matrices go to them and `db` is the coordinator. */
export async function timeLoad(db: Database, checkpoint: Checkpoint, name: string, kernelName: string, shards?: readonly string[]): Promise<{ model: ModelRow; seconds: number }> {
  const started = performance.now();
  const model = await loadModel(db, checkpoint, { name, source: checkpoint.dir, kernel: kernelName, shards });
  return { model, seconds: seconds(started) };
}

/** Bytes the model's tables and indexes take (TOAST included), as PostgreSQL counts them. */
export async function modelBytes(db: Database, model: ModelRow): Promise<number> {
  const [row] = await db.query<{ bytes: number }>(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::int8 AS bytes
     FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`, [model.schema_name]);
  return row.bytes;
}

/** Prefill of a `length`-token prompt plus the choice of the first new token. */
export async function timePrefill(db: Database, model: ModelRow, length: number, engine: 'incremental' | 'recompute', workers = 0): Promise<number> {
  const started = performance.now();
  await generate(db, model, promptIds(length), { maxTokens: 1, temperature: 0, engine, workers });
  return seconds(started);
}

/** How a benchmark's generation chooses its tokens: greedy unless told. */
export type BenchSampling = { temperature: number; topK?: number; topP?: number; seed?: number };
const GREEDY: BenchSampling = { temperature: 0 };

/** Seconds per generated token after the first, over `count` tokens after a `promptLength` prompt. */
export async function timeGeneration(db: Database, model: ModelRow, promptLength: number, count: number, engine: 'incremental' | 'recompute', workers = 0, sampling = GREEDY) {
  const stamps: number[] = [];
  const started = performance.now();
  await generate(db, model, promptIds(promptLength), {
    maxTokens: count, ...sampling, engine, workers, onToken: () => stamps.push(performance.now()),
  });
  const total = seconds(started);
  const perToken = stamps.length > 1 ? (stamps[stamps.length - 1] - stamps[0]) / 1000 / (stamps.length - 1) : NaN;
  return { total, perToken, tokens: stamps.length };
}

/**
 * Aggregate throughput of `concurrency` generations started together, each `count` new tokens
 * after its own `promptLength`-token prompt, through the scheduler (one statement a step for all),
 * from the start (prefills included) to the last token; also the steady state, from the first token of
 * the last generation to get one to the end. Every generation samples (temperature 0.8, top-k 40,
 * a seed of its own), so one generation alone pays for sampling as each of a batch does.
 */
export async function timeConcurrent(db: Database, model: ModelRow, concurrency: number, promptLength: number, count: number, workers = 0) {
  const scheduler = new Scheduler(db, { maxBatch: concurrency, maxQueue: 0, workers });
  const stamps: number[] = [];
  const firsts: number[] = [];
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: concurrency }, (_, i) => {
    let first = true;
    return scheduler.generate({
      model, prompt: checkPrompt(model, promptIds(promptLength, i + 1)),
      options: completionOptions({ maxTokens: count, temperature: 0.8, topK: 40, seed: i }),
      onToken: () => { stamps.push(performance.now()); if (first) firsts.push(performance.now()); first = false; },
    });
  }));
  const total = seconds(started);
  await scheduler.close();
  const tokens = results.reduce((sum, r) => sum + r.tokens.length, 0);
  const steadyFrom = Math.max(...firsts);
  const steadyTokens = stamps.filter((t) => t > steadyFrom).length;
  const steady = steadyTokens / ((Math.max(...stamps) - steadyFrom) / 1000);
  return { total, tokens, perSecond: tokens / total, steadyPerSecond: steady };
}

/**
 * Aggregate tokens per second of `concurrency` requests to `POST /v1/completions` of a running
 * `gpt2sql serve` at `url`, sent together, each `count` new tokens after its own `promptLength`-token
 * prompt, sampled as timeConcurrent samples: what a client of the HTTP API sees.
 */
export async function timeHttpConcurrent(url: string, model: string, concurrency: number, promptLength: number, count: number) {
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: concurrency }, async (_, i) => {
    const response = await fetch(`${url}/v1/completions`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model, prompt: promptIds(promptLength, i + 1), max_tokens: count, temperature: 0.8, top_k: 40, seed: i }),
    });
    if (!response.ok) throw new Error(`POST /v1/completions: ${response.status} ${await response.text()}`);
    const body = await response.json() as { usage: { completion_tokens: number } };
    return body.usage.completion_tokens;
  }));
  const total = seconds(started);
  const tokens = results.reduce((sum, n) => sum + n, 0);
  return { total, tokens, perSecond: tokens / total };
}

/**
 * One incremental step at a given context length: the session's cache is filled with `context - 1`
 * positions of synthetic keys and values (the cost of a step does not depend on their values), then
 * one position is fed. Avoids a prefill of hundreds of positions just to measure one step.
 */
export async function timeStepAtContext(db: Database, model: ModelRow, context: number, repeats = 3, workers = 0): Promise<number> {
  const session = await openSession(db, model.name);
  const cache = `${quoteIdent(model.schema_name)}.kv_cache`;
  try {
    // The heads as the cache stores them (cachedHeads): the conversion is part of filling it, not of the step.
    const HS = model.n_embd / model.n_head;
    const { k, v } = cachedHeads(kernel(model.kernel), HS);
    await db.query(
      `INSERT INTO ${cache} (session, block, place, head, k, v)
       SELECT $1, block, place, head,
              ${code(k.prepare('array(SELECT sin(block + place + head + i) / 8 FROM generate_series(1, $3) AS i)'))},
              ${code(v.prepare('array(SELECT cos(block * place + head + i) / 8 FROM generate_series(1, $3) AS i)'))}
       FROM generate_series(0, $4 - 1) AS block, generate_series(0, $2 - 2) AS place, generate_series(0, $5 - 1) AS head`,
      [session.id, context, HS, model.n_layer, model.n_head]);
    // The engine's step: the statement into step_result, the new keys and values saved, the token read.
    const sequence = { session: session.id, ids: [464], start: context - 1, sampling: DEFAULT_SAMPLING, draw: 0, generated: [] };
    const statements = batchStatements(model, workers, [sequence]);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      await db.query(`DELETE FROM ${cache} WHERE session = $1 AND place = $2`, [session.id, context - 1]);
      const started = performance.now();
      await batchStep(db, model, statements, [sequence]);
      times.push(seconds(started));
    }
    return Math.min(...times);
  } finally {
    await session.close();
  }
}

/**
 * The kernel floor: the bare scans computing every dot product one token needs, with nothing else:
 * each weight matrix (all its blocks in one sequential scan) and the output head, each stored row
 * (or part) against an activation of the right width that is a plain value computed once before
 * the scan (an InitPlan: never a join, never a value read from a table), the products computed
 * where the rows are read and only their maximum kept. No layer norm, attention, softmax or
 * sampling, and nothing put together by column: what a step cannot do without.
 */
export async function timeKernelFloor(db: Database, model: ModelRow, repeats = 3): Promise<number> {
  const k = kernel(model.kernel);
  const scans = weightTables(model.tied_lm_head).filter((t) => t.kernelStorage).map((t) => {
    const width = t.table === 'mlp_c_proj_w' ? 4 * model.n_embd : model.n_embd;
    // Matrix columns are stored in parts (rowParts): each part against its slice of the activation.
    const { count, size } = t.layout === 'columns' ? rowParts(k, width) : { count: 1, size: width };
    const slice = (part: number) => code(k.prepare(`(SELECT array_agg(sin(i)::float8) FROM generate_series(${part * size + 1}, ${Math.min((part + 1) * size, width)}) AS i)`));
    const activation = count === 1 ? `(SELECT ${slice(0)})`
      : `CASE w.part ${Array.from({ length: count }, (_, part) => `WHEN ${part} THEN (SELECT ${slice(part)})`).join(' ')} END`;
    return `(SELECT max(y) FROM (SELECT ${code(k.dot('w', sql`(${activation})`, size))} AS y FROM ${quoteIdent(model.schema_name)}.${t.table} AS w OFFSET 0) AS products)`;
  });
  const floor = `SELECT ${scans.join('\n     + ')} AS every_dot_product`;
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await db.query(floor); // JIT is off on every connection (src/db/)
    times.push(seconds(started));
  }
  return Math.min(...times);
}

/** A kernel's snippet as text, to write into the benchmark's own queries. */
function code(part: Sql): string {
  return renderInlined(part, {});
}
