import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Database } from '../../src/db/database.ts';
import { generate, type GeneratedToken } from '../../src/engine/generate.ts';
import { checkPrompt, completionOptions, logprobsOption, OptionError, type Completion } from '../../src/engine/options.ts';
import { QueueFullError, Scheduler, SchedulerClosedError, type GenerationRequest } from '../../src/engine/scheduler.ts';
import { checkedGeneration } from '../helpers/sampled.ts';
import { gpt2 } from '../../src/reference/gpt2.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { testDatabases } from '../helpers/databases.ts';
import { expectClose } from '../helpers/numeric.ts';
import { CONFIGS, dropModel, loadTestModel, someIds, type LoadedModel } from './forward-models.ts';

/**
 * Log-probabilities against the float64 reference, per kernel: the logits' tolerances of
 * test/engine/forward.test.ts (a log-softmax subtracts a logsumexp of size ~ln V from each, adding
 * at most a few ulps of that).
 */
const LOGPROB_TOLERANCE: Record<string, number> = { array: 1e-11, cube: 1e-9, vector: 1e-5 };

/** Mixed requests: greedy and seeded, different prompts, lengths and options. */
const REQUESTS = [
  { prompt: someIds(5), options: { maxTokens: 6 } },
  { prompt: someIds(3).reverse(), options: { maxTokens: 4, temperature: 1, topK: 40, topP: 0.95, seed: 42 } },
  { prompt: someIds(9), options: { maxTokens: 8, temperature: 0.7, seed: 7 } },
  { prompt: [someIds(2)[1]], options: { maxTokens: 3, temperature: 1.3, topP: 0.5, seed: -3 } },
  { prompt: someIds(6), options: { maxTokens: 5, temperature: 1, topK: 5, seed: 1 } },
];

/**
 * Counts the steps `db` runs (each is one transaction: nothing else in a generation opens one)
 * until `restore` is called. The same object is patched: its connection keeps the statements it
 * has prepared.
 */
function counting(db: Database): { db: Database; steps: () => number; restore: () => void } {
  let steps = 0;
  const transaction = db.transaction;
  db.transaction = (fn) => {
    steps++;
    return transaction(fn);
  };
  return { db, steps: () => steps, restore: () => { db.transaction = transaction; } };
}

async function leftovers(db: Database, model: ModelRow): Promise<number> {
  const [row] = await db.query<{ n: number }>(`
    SELECT (SELECT count(*) FROM gpt2sql.sessions WHERE model = $1)
         + (SELECT count(*) FROM ${quoteIdent(model.schema_name)}.kv_cache) AS n`, [model.name]);
  return Number(row.n);
}

/** The reference's log-probability of each token after the prompt, and its `top` alternatives. */
function referenceLogprobs(m: LoadedModel, prompt: number[], tokens: number[], top: number) {
  const rows = gpt2(m.weights, [...prompt, ...tokens]);
  return tokens.map((token, i) => {
    const logits = rows[prompt.length - 1 + i];
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((sum, logit) => sum + Math.exp(logit - max), 0));
    const order = [...logits.keys()].sort((a, b) => logits[b] - logits[a] || a - b).slice(0, top);
    return { logprob: logits[token] - lse, top: order.map((id) => ({ id, logprob: logits[id] - lse })) };
  });
}

describe.each(testDatabases())('batched generation on $driver', (target) => {
  let db: Database;
  let m: LoadedModel;
  /** A request checked as an edge checks it (the scheduler checks nothing again). */
  const request = (r: { prompt: readonly number[]; options: Partial<Completion> }, extra: Omit<Partial<GenerationRequest>, 'logprobs'> & { logprobs?: number } = {}): GenerationRequest =>
    ({ model: m.model, prompt: checkPrompt(m.model, r.prompt), options: completionOptions(r.options), ...extra, logprobs: logprobsOption(extra.logprobs) });

  beforeAll(async () => {
    db = await target.open();
    m = await loadTestModel(db, CONFIGS['2 blocks, 2 heads, 32 wide']);
  });
  afterAll(async () => {
    await dropModel(db, m.model);
    await db.close();
  });

  /** Each request's tokens alone (a batch of one), checked against the reference step by step. */
  async function alone(requests: ReadonlyArray<{ prompt: readonly number[]; options: Partial<GenerationRequest['options']> & { maxTokens: number } }>): Promise<number[][]> {
    const tokens: number[][] = [];
    for (const r of requests) tokens.push(await checkedGeneration(db, m.model, m.weights, r.prompt, { ...r.options, workers: 0 }));
    return tokens;
  }

  it('advances generations together, one statement a step, each as it would run alone (the reference\'s tokens)', async () => {
    const expected = await alone(REQUESTS);
    const { db: counted, steps, restore } = counting(db);
    const scheduler = new Scheduler(counted, { maxBatch: 8, workers: 0 });
    const results = await Promise.all(REQUESTS.map((r) => scheduler.generate(request(r))));
    await scheduler.close();
    restore();
    expect(results.map((r) => r.tokens)).toEqual(expected);
    expect(results.map((r) => r.stop)).toEqual(REQUESTS.map(() => 'max_tokens'));
    // 5 generations of 6, 4, 8, 3, 5 tokens: 8 steps together, 26 one by one.
    expect(steps()).toBe(8);
    expect(await leftovers(db, m.model)).toBe(0);
  });

  it('applies min_p and the penalties of each generation\'s own tokens, alone as the reference does and the same batched', async () => {
    const penalized = [
      { prompt: someIds(4), options: { maxTokens: 7, presencePenalty: 1.5, frequencyPenalty: 0.5 } },
      { prompt: someIds(4), options: { maxTokens: 6, temperature: 1, minP: 0.2, frequencyPenalty: 2, seed: 5 } },
      { prompt: someIds(7), options: { maxTokens: 5, temperature: 0.9, topK: 30, minP: 0.05, presencePenalty: -1, seed: 9 } },
    ];
    const expected = await alone(penalized);
    const [unpenalized] = await alone([{ prompt: penalized[0].prompt, options: { maxTokens: 7 } }]);
    expect(expected[0], 'the penalties change what greedy generates (or this test shows nothing)').not.toEqual(unpenalized);
    const scheduler = new Scheduler(db, { maxBatch: 8, workers: 0 });
    const results = await Promise.all(penalized.map((r) => scheduler.generate(request(r))));
    await scheduler.close();
    expect(results.map((r) => r.tokens)).toEqual(expected);
    for (const [i, r] of penalized.entries()) {
      expect((await generate(db, m.model, r.prompt, { ...r.options, engine: 'recompute', workers: 0 })).tokens, 'the recompute engine').toEqual(expected[i]);
    }
  });

  it('lets generations join and leave between steps: a prefill runs beside generations in progress', async () => {
    const expected = await alone(REQUESTS);
    const { db: counted, steps, restore } = counting(db);
    const scheduler = new Scheduler(counted, { maxBatch: 8, workers: 0 });
    const late: Array<Promise<{ tokens: number[] }>> = [];
    let seen = 0;
    const first = scheduler.generate(request(REQUESTS[2], {
      onToken: () => {
        seen++;
        if (seen === 1) late.push(scheduler.generate(request(REQUESTS[0])));
        if (seen === 3) late.push(...[1, 3, 4].map((i) => scheduler.generate(request(REQUESTS[i]))));
      },
    }));
    const results = [await first, ...(await Promise.all(late))];
    await scheduler.close();
    restore();
    expect(steps()).toBeLessThan(REQUESTS.reduce((sum, r) => sum + r.options.maxTokens, 0) / 2);
    const order = [2, 0, 1, 3, 4];
    expect(results.map((r) => r.tokens)).toEqual(order.map((i) => expected[i]));
    expect(await leftovers(db, m.model)).toBe(0);
  });

  it('gives each token its log-probability and alternatives, the same alone and in a batch, as the reference\'s', async () => {
    const solo = new Scheduler(db, { maxBatch: 1, workers: 0 });
    const alone: GeneratedToken[][] = [];
    for (const r of REQUESTS.slice(0, 3)) {
      const tokens: GeneratedToken[] = [];
      await solo.generate(request(r, { logprobs: 3, onToken: (t) => tokens.push(t) }));
      alone.push(tokens);
    }
    await solo.close();
    const batched: GeneratedToken[][] = REQUESTS.slice(0, 3).map(() => []);
    const scheduler = new Scheduler(db, { maxBatch: 8, workers: 0 });
    await Promise.all(REQUESTS.slice(0, 3).map((r, i) => scheduler.generate(request(r, { logprobs: i === 1 ? undefined : 3, onToken: (t) => batched[i].push(t) }))));
    await scheduler.close();
    const tolerance = LOGPROB_TOLERANCE[m.model.kernel];
    for (const i of [0, 2]) {
      const tokens = alone[i].map((t) => t.id);
      expect(batched[i].map((t) => t.id)).toEqual(tokens);
      const reference = referenceLogprobs(m, REQUESTS[i].prompt, tokens, 3);
      expectClose(alone[i].map((t) => t.logprob!), reference.map((r) => r.logprob), tolerance, `request ${i} alone: logprobs`);
      expectClose(batched[i].map((t) => t.logprob!), alone[i].map((t) => t.logprob!), tolerance, `request ${i} batched: logprobs`);
      expect(batched[i].map((t) => t.top!.map((a) => a.id))).toEqual(reference.map((r) => r.top.map((a) => a.id)));
      expectClose(batched[i].map((t) => t.top!.map((a) => a.logprob)), reference.map((r) => r.top.map((a) => a.logprob)), tolerance, `request ${i} batched: alternatives`);
      expect(Buffer.from(batched[i][0].top![0].bytes).length).toBeGreaterThan(0);
    }
    expect(batched[1].every((t) => t.logprob === undefined && t.top === undefined)).toBe(true);
  });

  it('reports the model\'s own log-probabilities, before the penalties, for a penalized generation', async () => {
    const r = { prompt: someIds(4), options: { maxTokens: 5, presencePenalty: 2, frequencyPenalty: 1 } };
    const scheduler = new Scheduler(db, { maxBatch: 8, workers: 0 });
    const tokens: GeneratedToken[] = [];
    await scheduler.generate(request(r, { logprobs: 2, onToken: (t) => tokens.push(t) }));
    await scheduler.close();
    const reference = referenceLogprobs(m, r.prompt, tokens.map((t) => t.id), 2);
    expectClose(tokens.map((t) => t.logprob!), reference.map((x) => x.logprob), LOGPROB_TOLERANCE[m.model.kernel], 'penalized: logprobs');
    expect(tokens.map((t) => t.top!.map((a) => a.id))).toEqual(reference.map((x) => x.top.map((a) => a.id)));
  });

  it('ends an aborted generation between steps, removing its cache rows, while the others go on', async () => {
    const [expected] = await alone([REQUESTS[2]]);
    const scheduler = new Scheduler(db, { maxBatch: 8, workers: 0 });
    const controller = new AbortController();
    let seen = 0;
    const sessionsDuring: number[] = [];
    const aborted = scheduler.generate(request(REQUESTS[0], {
      signal: controller.signal,
      onToken: () => { if (++seen === 2) controller.abort(); },
    }));
    const other = scheduler.generate(request(REQUESTS[2], {
      onToken: () => { if (seen >= 2) sessionsDuring.push(scheduler.stats.active); },
    }));
    expect(await aborted).toMatchObject({ stop: 'aborted' });
    expect((await aborted).tokens).toHaveLength(2);
    expect((await other).tokens).toEqual(expected);
    expect(sessionsDuring.at(-1)).toBe(1);
    await scheduler.close();
    expect(await leftovers(db, m.model)).toBe(0);
  });

  it('bounds a step by max_batch, queues the rest up to max_queue, refuses beyond, and refuses after close', async () => {
    const { db: counted, steps, restore } = counting(db);
    const scheduler = new Scheduler(counted, { maxBatch: 2, maxQueue: 1, workers: 0 });
    const short = { prompt: someIds(3), options: { maxTokens: 2 } };
    const running = [scheduler.generate(request(short)), scheduler.generate(request(short)), scheduler.generate(request(short))];
    await new Promise((resolve) => setTimeout(resolve, 0));
    await expect(scheduler.generate(request(short))).rejects.toThrow(QueueFullError);
    const results = await Promise.all(running);
    expect(results.every((r) => r.tokens.length === 2)).toBe(true);
    expect(steps()).toBe(4); // two together, then the third alone
    await scheduler.close();
    restore();
    await expect(scheduler.generate(request(short))).rejects.toThrow(SchedulerClosedError);
    expect(() => new Scheduler(db, { maxBatch: 0 })).toThrow(OptionError);
    const open = new Scheduler(db, {});
    expect(() => request(short, { logprobs: 21 })).toThrow(/logprobs must be an integer from 0 to 20/); // refused where it comes in
    await open.close();
    expect(await leftovers(db, m.model)).toBe(0);
  });

  it('ends every generation when it closes, and removes their sessions', async () => {
    const scheduler = new Scheduler(db, { maxBatch: 1, workers: 0 });
    let closing: Promise<void> | undefined;
    const first = scheduler.generate(request(REQUESTS[2], { onToken: () => { closing ??= scheduler.close(); } }));
    const queued = scheduler.generate(request(REQUESTS[0]));
    expect(await first).toMatchObject({ stop: 'aborted' });
    expect((await first).tokens).toHaveLength(1);
    expect(await queued).toEqual({ tokens: [], stop: 'aborted' });
    await closing;
    expect(await leftovers(db, m.model)).toBe(0);
  });
});
