// Signals during next and trace: SIGTERM and SIGHUP stop `next` and `trace` as Ctrl-C does. The statement running ends,
// then the command stops: exit code 128 + the signal's number, one line saying what was kept,
// nothing half written (a trace runs in one transaction: the earlier trace stays whole), and the
// database works for the next command. On a server a lock holds the command inside its statement
// while the signal comes; PGlite cannot be watched from another process, so there the signal
// comes once the command has opened the directory (next) or created the trace's tables (trace).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextCommand } from '../../src/cli/commands/next.ts';
import { traceCommand } from '../../src/cli/commands/trace.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { traceSchema } from '../../src/trace/trace-forward-pass.ts';
import { startCli, type RunningCli } from '../helpers/cli-process.ts';
import { testDatabases, uniqueModelName, type TestDatabase } from '../helpers/databases.ts';
import type { LoadedModel } from '../helpers/loaded-model.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { cleanUp, loadOn, SMALL_VOCAB } from './generation-state.ts';

/**
 * Four blocks: a trace runs some hundred statements, so a signal finds it inside its transaction.
 * The small vocabulary: the subject is the signals; at 50,257 tokens each trace wrote and each
 * check read back a logits table of V rows a position.
 */
const SIZE = { n_layer: 4, n_head: 2, n_embd: 16, n_ctx: 32, vocab_size: SMALL_VOCAB, seed: 131 };
const SIGNALS = [['SIGTERM', 143], ['SIGHUP', 129]] as const;
const PROMPT = 'The cat sat';

/** Every table of a trace: its info row (traced_at changes with each trace) and each table's row count and md5. */
async function traceState(db: string, schema: string): Promise<{ tables: Record<string, string>; staging: string[] }> {
  const database = await openDatabase({ db });
  try {
    const names = await database.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema]);
    const tables: Record<string, string> = {};
    for (const { table_name: table } of names) {
      const [row] = await database.query<{ sum: string }>(
        `SELECT count(*) || ' ' || md5(string_agg(t::text, ';' ORDER BY t::text)) AS sum FROM ${quoteIdent(schema)}.${quoteIdent(table)} AS t`);
      tables[table] = row.sum;
    }
    const staging = await database.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1 || '__')", [schema]);
    return { tables, staging: staging.map((s) => s.nspname) };
  } finally {
    await database.close();
  }
}

async function tracedPrompt(db: string, schema: string): Promise<string> {
  const database = await openDatabase({ db });
  const [info] = await database.query<{ prompt: string }>(`SELECT prompt FROM ${quoteIdent(schema)}.info`).finally(() => database.close());
  return info.prompt;
}

/** Resolves when `check` holds, polling every 20 ms; rejects if `run` ends first. */
async function until(run: RunningCli, check: () => Promise<boolean> | boolean): Promise<void> {
  let ended = false;
  void run.ended.then(() => (ended = true));
  while (!(await check())) {
    if (ended) throw new Error(`gpt2sql ended (exit ${(await run.ended).code}) before it was signalled; stderr:\n${run.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const filesUnder = (dir: string) => readdirSync(dir, { recursive: true }).length;

/**
 * Sends `signal` to the command `args` while it works. Server: an exclusive lock on the model's
 * wte holds the command's statement; the signal comes while it waits, and the lock is let go once
 * the command has said it is stopping. PGlite: the signal comes once `ready` holds.
 */
async function signalWhileWorking(target: TestDatabase, m: LoadedModel, args: string[], signal: NodeJS.Signals, ready: () => boolean) {
  if (target.driver === 'pglite') {
    const run = startCli(args);
    await until(run, ready);
    run.kill(signal);
    return run.ended;
  }
  const db = await openDatabase({ db: target.db });
  const wte = `${quoteIdent(m.model.schema_name)}.wte`;
  try {
    let run!: RunningCli;
    await db.transaction(async () => {
      await db.exec(`LOCK TABLE ${wte} IN ACCESS EXCLUSIVE MODE`);
      run = startCli(args);
      await until(run, async () => {
        const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks WHERE relation = $1::regclass AND NOT granted', [wte]);
        return row.n > 0;
      });
      run.kill(signal);
      await run.until((_, stderr) => stderr.includes('gpt2sql: stopping'));
    });
    return run.ended;
  } finally {
    await db.close();
  }
}

describe.each(testDatabases())('next and trace stopped by a signal on $driver', (target) => {
  let m: LoadedModel;
  const name = uniqueModelName('sig');
  const schema = traceSchema(name);
  beforeAll(async () => {
    m = await loadOn(target, 'signals', SIZE);
    await traceCommand(PROMPT, { db: target.db, model: m.model.name, as: name }, memoryIo());
  });
  afterAll(async () => {
    if (target.driver === 'postgres') {
      const db = await target.open();
      await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).finally(() => db.close());
    }
    await cleanUp(target, m);
  });
  const lockFile = () => existsSync(join(target.db, 'gpt2sql.lock'));

  for (const [signal, code] of SIGNALS) {
    it(`next: ${signal} stops it after its statement, without printing, exit ${code}; the database works`, async () => {
      const args = ['next', PROMPT, '--top', '3', '--model', m.model.name, '--db', target.db];
      const ending = await signalWhileWorking(target, m, args, signal, lockFile);
      expect(ending.stderr.split('\n').filter((line) => line !== '')).toEqual([
        `gpt2sql: stopping after the current statement (${signal} again to quit at once)`,
        `gpt2sql: interrupted by ${signal}: the candidates were not printed; the database is unchanged`,
      ]);
      expect(ending.code).toBe(code);
      expect(ending.stdout).toBe('');
      if (target.driver === 'pglite') expect(lockFile()).toBe(false);
      const candidates = await nextCommand(PROMPT, { db: target.db, model: m.model.name, top: '3' }, memoryIo());
      expect(candidates).toHaveLength(3);
    });

    it(`trace: ${signal} rolls the trace back, exit ${code}; the earlier trace stays whole and the database works`, async () => {
      const before = await traceState(target.db, schema);
      expect(Object.keys(before.tables)).toContain('att');
      const prompt = `Hello, ${signal} and all`;
      const args = ['trace', prompt, '--as', name, '--model', m.model.name, '--db', target.db];
      const files = target.driver === 'pglite' ? filesUnder(join(target.db, 'base')) : 0;
      // PGlite: the trace's 20 tables are created inside its transaction, each a file at once.
      const ending = await signalWhileWorking(target, m, args, signal, () => filesUnder(join(target.db, 'base')) >= files + 20);
      expect(ending.stderr.split('\n').filter((line) => line !== '')).toEqual([
        `gpt2sql: stopping after the current statement; the trace will be rolled back (${signal} again to quit at once)`,
        `gpt2sql: interrupted by ${signal}: the trace was rolled back and ${schema} is as it was; run the same command again to make it`,
      ]);
      expect(ending.code).toBe(code);
      expect(ending.stdout).toBe('');
      expect(await traceState(target.db, schema)).toEqual(before);
      expect(await tracedPrompt(target.db, schema)).not.toBe(prompt);

      await traceCommand(prompt, { db: target.db, model: m.model.name, as: name }, memoryIo());
      expect(await tracedPrompt(target.db, schema)).toBe(prompt);
      expect((await traceState(target.db, schema)).staging).toEqual([]);
    });
  }
});
