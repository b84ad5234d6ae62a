import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { generate } from '../../src/engine/generate.ts';
import { nextTokens } from '../../src/engine/next.ts';
import { OptionError } from '../../src/engine/options.ts';
import { parallelSettings } from '../../src/engine/run-statement.ts';
import { gatherStartMs, parallelPlan, SERIAL, workersOption } from '../../src/engine/workers.ts';
import { kernel } from '../../src/sql/kernels/index.ts';
import { generate as referenceGenerate } from '../../src/reference/generate.ts';
import { checkedGeneration } from '../helpers/sampled.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { renderInlined } from '../../src/sql/sql.ts';
import { choosingValues, RECOMPUTE_INPUTS, step } from '../../src/sql/statements.ts';
import { DEFAULT_SAMPLING } from '../../src/sql/sampling-fields.ts';
import { testDatabases } from '../helpers/databases.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';
import { dropModel, GPT2_VOCAB, loadTestModel, someIds, type LoadedModel } from './forward-models.ts';

// 512 wide, a prompt of 6 positions: with cube or array every matrix's products take longer than
// starting 2 workers saves (cube: 11 ns a value, so a scan of 512 × 512 values × 6 positions takes
// 17 ms against 15 for 10 ms of start × 3/2), so each scan gets workers; with pgvector (0.6 ns a
// value) only the output head does (50,257 × 512 × 6 × 0.6 ns: 93 ms; mlp c_fc 2048 × 512 × 6:
// 4 ms). mlp c_proj's rows of 2048 values are stored in parts (linear_parts.sql) with every kernel.
// pgvector's expectation needs GPT-2's whole vocabulary (at 1,024 rows its head takes 4 ms and gets
// no workers); cube's and array's hold at the small vocabulary too (head: 1,024 × 512 × 6 × 11 ns,
// 35 ms), and spare the array kernel 18 generations through a 50,257-row head.
// The array kernel (90 ns a value) gives every scan workers from one position on (attn c_proj:
// 512 × 512 × 90 ns, 24 ms a position), and each position through its blocks takes it about 0.6 s:
// its prompt is 3 positions, where attn c_proj's 71 ms still outweigh a start of 35 ms on 2 cores.
const CONFIG = { n_layer: 2, n_head: 8, n_embd: 512, n_ctx: 64, seed: 23 };
const VOCAB: Record<string, number> = { vector: GPT2_VOCAB, cube: SMALL_VOCAB, array: SMALL_VOCAB };
const PROMPTS: Record<string, number[]> = { vector: someIds(6), cube: someIds(6), array: someIds(3) };
/** The matrices whose scans get workers, by kernel, for the prompt above (see the numbers there). */
const PARALLEL_SCANS: Record<string, RegExp> = {
  cube: /^(c_attn_w|c_proj_w|mlp_c_fc_w|mlp_c_proj_w|wte)$/,
  array: /^(c_attn_w|c_proj_w|mlp_c_fc_w|mlp_c_proj_w|wte)$/,
  vector: /^wte$/,
};
/** The prompt of the tiny model's tests. */
const PROMPT = someIds(6);
const SAMPLING = { temperature: 0.9, topK: 50, topP: 0.9, seed: 7 };
const WORKERS = [0, 1, 2];

const servers = testDatabases().filter((target) => target.driver === 'postgres');
const kernels = servers.flatMap((target) => ['vector', 'cube', 'array'].map((kernel) => ({ ...target, kernel })));

describe.each(kernels)('parallel workers on $driver, kernel $kernel', (target) => {
  let db: Database;
  let m: LoadedModel;
  const prompt = PROMPTS[target.kernel];
  beforeAll(async () => {
    db = await target.open();
    m = await loadTestModel(db, { ...CONFIG, vocab_size: VOCAB[target.kernel] }, target.kernel);
  });
  afterAll(async () => {
    await dropModel(db, m.model);
    await db.close();
  });

  it('gives the reference\'s greedy tokens and seeded samples with 0, 1 or 2 workers', async () => {
    // With 0 workers: checked against the reference; with 1 and 2, equal to those.
    const greedy = await checkedGeneration(db, m.model, m.weights, prompt, { maxTokens: 3, workers: 0 });
    const sampled = await checkedGeneration(db, m.model, m.weights, prompt, { maxTokens: 3, workers: 0, ...SAMPLING });
    for (const workers of WORKERS.filter((count) => count > 0)) {
      expect((await generate(db, m.model, prompt, { maxTokens: 3, workers })).tokens, `greedy, ${workers} workers`).toEqual(greedy);
      expect((await generate(db, m.model, prompt, { maxTokens: 3, workers, ...SAMPLING })).tokens, `sampled, ${workers} workers`).toEqual(sampled);
    }
  }, 600_000); // 6 generations of a 512-wide model; the array kernel's take minutes on a busy 2-core machine

  it('gives the same logits, to the last bit, with any number of workers', async () => {
    const results = [];
    for (const workers of WORKERS) results.push(await nextTokens(db, m.model, prompt, { top: 50, workers }));
    const [none, ...others] = results;
    expect(none).toHaveLength(50);
    for (const candidates of others) expect(candidates).toEqual(none);
  });

  it('scans with parallel workers exactly the weights worth them, none with 0 workers', async () => {
    const parallel = await stepPlan(db, m, prompt, 2);
    // The scans that compute products (more than one row each: not the embedding's lookup of a token's row).
    const scanned = [...parallel.matchAll(/->\s+(Parallel )?[A-Za-z ]*Scan(?: using \w+)? on (c_attn_w|c_proj_w|mlp_c_fc_w|mlp_c_proj_w|wte)\b.*rows=(\d+)/g)]
      .filter(([, , , rows]) => Number(rows) > 1);
    const expected = PARALLEL_SCANS[target.kernel];
    for (const [line, isParallel, table] of scanned) expect(Boolean(isParallel), `${line}\n${parallel}`).toBe(expected.test(table));
    // c_attn, attn c_proj, mlp c_fc and mlp c_proj of every block, and lm_head (wte: tied), each scanned.
    const tables = new Set(scanned.map(([, , table]) => table));
    expect([...tables].sort()).toEqual(['c_attn_w', 'c_proj_w', 'mlp_c_fc_w', 'mlp_c_proj_w', 'wte']);
    const parallelScans = scanned.filter(([, isParallel]) => isParallel).length;
    const launched = [...parallel.matchAll(/Workers Launched: (\d+)/g)].map((match) => Number(match[1]));
    expect(launched.length, 'a Gather for each').toBeGreaterThanOrEqual(parallelScans);
    expect(Math.min(...launched), parallel).toBeGreaterThan(0);
    expect(await stepPlan(db, m, prompt, 0)).not.toMatch(/Gather|Parallel/);
  });
});

/** EXPLAIN ANALYZE of a recompute step over `prompt` with `workers`, as the engine plans it. */
async function stepPlan(db: Database, m: LoadedModel, prompt: number[], workers: number): Promise<string> {
  const plan = parallelPlan(m.model, workers, prompt.length);
  const text = renderInlined(step(m.model, RECOMPUTE_INPUTS, plan.shape), {
    ids: prompt, start: 0, ...choosingValues([{ sampling: DEFAULT_SAMPLING, draw: 0, generated: [] }], m.model.vocab_size),
  });
  return db.transaction(async () => {
    await db.exec(`SET LOCAL search_path TO ${quoteIdent(m.model.schema_name)}, public; ${parallelSettings(plan)}`);
    const rows = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF) ${text}`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

describe.each(servers)('--workers on $driver', (target) => {
  let db: Database;
  let tiny: LoadedModel;
  beforeAll(async () => {
    db = await target.open();
    tiny = await loadTestModel(db, { preset: 'tiny', seed: 1 });
  });
  afterAll(async () => {
    await dropModel(db, tiny.model);
    await db.close();
  });

  it('starts no worker for a scan whose products take less than the workers save: the tiny model\'s blocks stay in one process', async () => {
    // 32 wide: a block's matrix (4 × 32 × 32 values) takes microseconds; only its output head
    // (50,257 rows) may be worth workers.
    const plan = await stepPlan(db, tiny, PROMPT, 2);
    expect(plan).not.toMatch(/Parallel [A-Za-z ]*Scan on (c_attn_w|c_proj_w|mlp_c_fc_w|mlp_c_proj_w)\b/);
    expect(plan.match(/-> +Gather\b/g)?.length ?? 0, plan).toBeLessThanOrEqual(1);
  });

  it('defaults to the server\'s max_parallel_workers_per_gather, at most its cores less one, none on 2 cores, and refuses more than max_parallel_workers', async () => {
    const [settings] = await db.query<{ per_gather: number; total: number }>(
      `SELECT current_setting('max_parallel_workers_per_gather')::int AS per_gather, current_setting('max_parallel_workers')::int AS total`);
    // The test servers run on this machine: they share its cores.
    const cores = availableParallelism();
    expect(await workersOption(db)).toMatchObject({ count: cores <= 2 ? 0 : Math.min(settings.per_gather, settings.total, cores - 1), ignored: false });
    expect(await workersOption(db, 0)).toEqual({ count: 0, startMs: 0, speedup: 1, ignored: false });
    expect(await workersOption(db, settings.total)).toMatchObject({ count: settings.total, speedup: Math.min(settings.total + 1, cores), ignored: false });
    await expect(workersOption(db, settings.total + 1)).rejects.toThrow(new RegExp(`workers must be an integer from 0 to ${settings.total}, the server's max_parallel_workers`));
    await expect(workersOption(db, -1)).rejects.toBeInstanceOf(OptionError);
    await expect(workersOption(db, 1.5)).rejects.toBeInstanceOf(OptionError);
  });

  it('measures what starting a Gather\'s workers costs, once per connection', async () => {
    // Independent of gatherStartMs: the same scan of a one-page catalog timed here with and without workers.
    const timed = async (workers: number) => db.transaction(async () => {
      await db.exec(`SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0; SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL max_parallel_workers_per_gather = ${workers}`);
      const rows = await db.query<{ 'QUERY PLAN': string }>('EXPLAIN (ANALYZE, TIMING OFF) SELECT count(*) FROM pg_catalog.pg_am');
      const text = rows.map((row) => row['QUERY PLAN']).join('\n');
      return { ms: Number(/Execution Time: ([\d.]+) ms/.exec(text)![1]), launched: Number(/Workers Launched: (\d+)/.exec(text)?.[1] ?? 0) };
    });
    const start = await gatherStartMs(db, 1);
    expect(start).toBeGreaterThanOrEqual(1);
    expect(start).toBeLessThan(5_000);
    const withWorker = await timed(1);
    expect(withWorker.launched, 'the server starts workers').toBe(1);
    // A worker's start is most of a tiny scan's time with it: the measurement is of that order, not of the scan.
    expect(withWorker.ms - (await timed(0)).ms).toBeGreaterThan(start / 20);
    const again = performance.now();
    expect(await gatherStartMs(db, 1)).toBe(start);
    expect(performance.now() - again, 'measured once').toBeLessThan(5);
    // Measured inside a transaction, the probe's settings do not stay in it.
    const settings = await db.transaction(async () => {
      await gatherStartMs(db, 2);
      return db.query<{ index: string; workers: string }>(`SELECT current_setting('enable_indexscan') AS index, current_setting('max_parallel_workers_per_gather') AS workers`);
    });
    const [outside] = await db.query<{ index: string; workers: string }>(`SELECT current_setting('enable_indexscan') AS index, current_setting('max_parallel_workers_per_gather') AS workers`);
    expect(settings).toEqual([outside]);
  });

  it('gives a scan workers only where its products outweigh their measured start on the cores there are', () => {
    const model = { ...tiny.model, kernel: 'vector', n_embd: 768, n_layer: 12, n_head: 12, vocab_size: 50257 };
    // The rule restated: mlp c_fc's 4 × 768 × 768 values cost ns a position; S processes save (S - 1) / S
    // of them, against the start. So a start of 10 ms on 3 cores pays from 10 × 3/2 / cfc positions on,
    // 40 ms on 2 cores from 40 × 2 / cfc. The head's 50,257 × 768 values count the positions that get logits.
    const ns = kernel('vector').nanosecondsPerValue;
    const cfc = (4 * 768 * 768 * ns) / 1e6;
    const head = (50257 * 768 * ns) / 1e6;
    const from = (startMs: number, speedup: number, perPosition: number) => Math.ceil((startMs * speedup) / (speedup - 1) / perPosition);
    const quiet = { count: 2, startMs: 10, speedup: 3 };
    const busy = { count: 1, startMs: 40, speedup: 2 };
    expect(parallelPlan(model, quiet, from(10, 3, cfc))).toMatchObject({ workers: 2, shape: 'unrolled' });
    expect(parallelPlan(model, quiet, from(10, 3, cfc) - 1, 1)).toMatchObject({ workers: 2, shape: 'recursive' }); // the head only
    expect(parallelPlan(model, busy, from(40, 2, cfc) - 1).shape).toBe('recursive');
    expect(parallelPlan(model, busy, from(40, 2, cfc))).toMatchObject({ workers: 1, shape: 'unrolled' });
    // A step of one generation: the head alone, worth 10 ms on 3 cores, not 40 on 2.
    expect(head).toBeGreaterThan(15);
    expect(head).toBeLessThan(80);
    expect(parallelPlan(model, quiet, 1, 1)).toMatchObject({ workers: 2, shape: 'recursive' });
    expect(parallelPlan(model, busy, 1, 1)).toEqual(SERIAL);
    expect(parallelPlan(model, busy, 8, from(40, 2, head))).toMatchObject({ workers: 1, shape: 'recursive' });
    expect(parallelPlan(model, busy, 8, from(40, 2, head) - 1)).toEqual(SERIAL);
    // One core: workers only take turns with the leader; nothing is saved.
    expect(parallelPlan(model, { count: 2, startMs: 10, speedup: 1 }, 512)).toEqual(SERIAL);
    // No worker started when measured: none planned.
    expect(parallelPlan(model, { count: 2, startMs: Infinity, speedup: 3 }, 512)).toEqual(SERIAL);
  });
});

describe.each(testDatabases().filter((target) => target.driver === 'pglite'))('--workers on $driver', (target) => {
  let db: Database;
  let m: LoadedModel;
  beforeAll(async () => {
    db = await target.open();
    m = await loadTestModel(db, { preset: 'tiny', seed: 1 });
  });
  afterAll(async () => {
    await dropModel(db, m.model);
    await db.close();
  });

  it('is accepted and has no effect: one process, no parallel workers', async () => {
    expect(await db.parallelLimits()).toBeNull();
    expect(await workersOption(db)).toEqual({ count: 0, startMs: 0, speedup: 1, ignored: false });
    expect(await workersOption(db, 4)).toEqual({ count: 0, startMs: 0, speedup: 1, ignored: true });
    await expect(workersOption(db, -1)).rejects.toBeInstanceOf(OptionError);
    const expected = referenceGenerate(m.weights, PROMPT, { maxTokens: 5, eotId: m.eotId });
    expect((await generate(db, m.model, PROMPT, { maxTokens: 5, workers: 4 })).tokens).toEqual(expected);
  });
});
