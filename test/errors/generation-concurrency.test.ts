// Concurrency: generation is safe to run concurrently. On a server, 8 `complete` processes at
// once give exactly the tokens of the same runs one at a time, and loading (or replacing) another
// model while one generates does not disturb it. The embedded database admits one process: a
// second one gets the one-line "in use" error and the first finishes undisturbed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeCommand, type CompleteResult } from '../../src/cli/commands/complete.ts';
import type { Database } from '../../src/db/database.ts';
import { listModels } from '../../src/engine/model.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { testDatabases, uniqueModelName, type TestDatabase } from '../helpers/databases.ts';
import type { LoadedModel } from '../helpers/loaded-model.ts';
import { runCli, startCli, type RunningCli } from '../helpers/cli-process.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { cleanUp, loadOn, sessionRows, tiktoken, SMALL_VOCAB } from './generation-state.ts';
import { checkedGeneration, expectSampledAsReference } from '../helpers/sampled.ts';
import { expectOneLineError } from './model-state.ts';

const TARGETS = testDatabases();
const PGLITE = TARGETS.find((target) => target.driver === 'pglite')!;
const POSTGRES = TARGETS.find((target) => target.driver === 'postgres');
const SIZE = { n_layer: 1, n_head: 2, n_embd: 8, n_ctx: 16, vocab_size: SMALL_VOCAB, seed: 73 };
/** Model B, loaded and then replaced by another checkpoint while A generates. */
const B_SIZES = [{ n_layer: 1, n_head: 1, n_embd: 8, n_ctx: 16, vocab_size: SMALL_VOCAB, seed: 74 }, { n_layer: 1, n_head: 2, n_embd: 16, n_ctx: 24, vocab_size: SMALL_VOCAB, seed: 75 }];
const PROMPT = 'Hello';
/** Few tokens: a server takes a fraction of a second per token even on a tiny model (the logits cover the whole vocabulary). */
const SAMPLING = { maxTokens: '4', temperature: '1' };
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

const sampled = (seed: number) => ['-n', SAMPLING.maxTokens, '--temperature', SAMPLING.temperature, '--seed', String(seed)];
const firstTokenShown = (stdout: string) => stdout.length > PROMPT.length;

/** `complete` with these options in this process, the one run at a time. */
async function oneAtATime(target: TestDatabase, model: string, seed: number, json = true): Promise<{ result: CompleteResult; stdout: string }> {
  const io = memoryIo();
  const result = await completeCommand(PROMPT, { db: target.db, model, ...SAMPLING, seed: String(seed), json }, io);
  return { result, stdout: io.stdout };
}

/**
 * Holds an exclusive lock on the model's `wte` while `fn` runs: a generation blocks at its next
 * step (tokenizing and opening the session do not read wte), so what `fn` does happens while
 * generations are under way, and they all go on together when it returns.
 */
async function pausingSteps<T>(db: Database, model: LoadedModel, fn: (waiting: () => Promise<number>) => Promise<T>): Promise<T> {
  const wte = `${quoteIdent(model.model.schema_name)}.wte`;
  return db.transaction(async () => {
    await db.exec(`LOCK TABLE ${wte} IN ACCESS EXCLUSIVE MODE`);
    const waiting = async () => {
      const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks WHERE relation = $1::regclass AND NOT granted', [wte]);
      return row.n;
    };
    return fn(waiting);
  });
}

/** Polls `check` until it holds or any of `runs` has ended. */
async function untilOrEnded(check: () => Promise<boolean>, runs: RunningCli[]): Promise<void> {
  let ended = false;
  void Promise.race(runs.map((run) => run.ended)).then(() => (ended = true));
  while (!ended && !(await check())) await new Promise((done) => setTimeout(done, 50));
}

describe.skipIf(!POSTGRES)('generation alongside other work on one PostgreSQL server', () => {
  const target = POSTGRES!;
  const nameB = uniqueModelName('gen_b');
  let a: LoadedModel;
  beforeAll(async () => {
    a = await loadOn(target, 'gen_a', SIZE);
  });
  afterAll(async () => {
    await runCli(['drop', nameB, '--db', target.db]);
    await cleanUp(target, a);
  });

  it('8 complete processes at once give exactly the tokens of the same runs one at a time', async () => {
    const expected: number[][] = [];
    for (const seed of SEEDS) expected.push((await oneAtATime(target, a.model.name, seed)).result.tokens);
    SEEDS.forEach((seed, i) => expectSampledAsReference(a.weights, tiktoken.encode(PROMPT), { maxTokens: 4, temperature: 1, seed, eotId: a.eotId }, expected[i], a.model.kernel, `seed ${seed}`));
    expect(new Set(expected.map(String)).size).toBeGreaterThan(4); // the seeds matter

    const db = await target.open();
    const runs = await pausingSteps(db, a, async (waiting) => {
      const started = SEEDS.map((seed) => startCli(['complete', PROMPT, '--json', ...sampled(seed), '--model', a.model.name, '--db', target.db]));
      await untilOrEnded(async () => (await waiting()) === SEEDS.length, started);
      expect(await waiting(), 'all 8 wait at their first step, then go on together').toBe(SEEDS.length);
      return started;
    }).finally(() => db.close());
    const endings = await Promise.all(runs.map((run) => run.ended));
    endings.forEach((ending, i) => {
      expect(ending.stderr).toBe('');
      expect(ending.code).toBe(0);
      expect((JSON.parse(ending.stdout) as CompleteResult).tokens, `seed ${SEEDS[i]}`).toEqual(expected[i]);
    });
    expect(await sessionRows(target.db, a.model.name)).toEqual({ sessions: 0, kvCache: 0 });
  });

  it('loading model B, then replacing it with another checkpoint, while A generates leaves A undisturbed', async () => {
    const expected = await oneAtATime(target, a.model.name, 5, false);
    const [b1, b2] = await Promise.all(B_SIZES.map((size) => tinyCheckpoint(size)));
    // Opened first: between A's first token and the lock there is only the lock to take (A's 3 other steps are quick).
    const db = await target.open();
    const runA = startCli(['complete', PROMPT, ...sampled(5), '--model', a.model.name, '--db', target.db]);
    await runA.until(firstTokenShown);
    await pausingSteps(db, a, async (waiting) => {
      await untilOrEnded(async () => (await waiting()) === 1, [runA]);
      expect(await waiting(), 'A waits at its next step').toBe(1);
      for (const checkpoint of [b1, b2]) {
        const load = await runCli(['load', checkpoint, '--as', nameB, '--db', target.db]);
        expect(load.code, load.stderr).toBe(0);
      }
      expect(await waiting(), 'A still waits: both loads ran while it generated').toBe(1);
    }).finally(() => db.close());
    const ending = await runA.ended;
    expect(ending.stderr).toBe('');
    expect(ending.code).toBe(0);
    expect(ending.stdout).toBe(expected.stdout);
    expect(ending.stdout).toBe(`${PROMPT}${tiktoken.decode(expected.result.tokens)}\n`);

    const check = await target.open();
    const b = (await listModels(check).finally(() => check.close())).find((model) => model.name === nameB);
    expect(b).toMatchObject({ n_embd: B_SIZES[1].n_embd, n_ctx: B_SIZES[1].n_ctx }); // the replacement is the one loaded
  });
});

describe('generation on an embedded database another process wants too', () => {
  const target = PGLITE;
  let a: LoadedModel;
  beforeAll(async () => {
    a = await loadOn(target, 'gen_a', SIZE);
  });
  afterAll(() => cleanUp(target));

  it('refuses the second process with one line naming the first, which finishes undisturbed', async () => {
    const runA = startCli(['complete', PROMPT, ...sampled(5), '--model', a.model.name, '--db', target.db]);
    await runA.until(firstTokenShown);
    runA.kill('SIGSTOP'); // A holds the directory, mid-generation, for as long as the others take
    let others;
    try {
      const checkpoint = await tinyCheckpoint(B_SIZES[0]);
      others = await Promise.all([
        runCli(['complete', PROMPT, '--model', a.model.name, '--db', target.db]),
        runCli(['load', checkpoint, '--as', 'gen_b', '--db', target.db]),
      ]);
    } finally {
      runA.kill('SIGCONT');
    }
    const inUse = `gpt2sql: the database ${target.db} is in use by another gpt2sql process (pid ${runA.pid}); wait for it to finish, or use another --db directory`;
    for (const other of others) expect(expectOneLineError(other, /./)).toBe(inUse);

    const ending = await runA.ended;
    expect(ending.stderr).toBe('');
    expect(ending.code).toBe(0);
    const db = await target.open();
    try {
      const tokens = await checkedGeneration(db, a.model, a.weights, tiktoken.encode(PROMPT), { maxTokens: 4, temperature: 1, seed: 5 });
      expect(ending.stdout).toBe(`${PROMPT}${tiktoken.decode(tokens)}\n`);
      expect((await listModels(db)).map((model) => model.name)).toEqual([a.model.name]);
    } finally {
      await db.close();
    }
    expect(await sessionRows(target.db, a.model.name)).toEqual({ sessions: 0, kvCache: 0 });
  });
});
