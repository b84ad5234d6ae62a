// Interrupted loads: SIGINT, SIGTERM or SIGHUP while `gpt2sql load` copies
// weights rolls the load back and leaves the model loaded before as it was. Killed outright, the
// process dies mid-transaction: a server rolls the transaction back when the connection drops;
// PGlite's next open must recover from its WAL.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { testDatabases, uniqueModelName, type TestDatabase } from '../helpers/databases.ts';
import { runCli, startCli } from '../helpers/cli-process.ts';
import { expectLoaded, modelState, type ModelState } from './model-state.ts';

/** Big enough that copying takes seconds on either driver (16 M values, 64 MB of F32). */
const BIG = { n_layer: 4, n_head: 4, n_embd: 256, n_ctx: 256 };

/** Resolves when `check` holds, polling every `ms`. */
async function until(check: () => Promise<boolean> | boolean, ms = 100): Promise<void> {
  while (!(await check())) await new Promise((done) => setTimeout(done, ms));
}

/** Bytes in the files under `dir`. */
function bytesUnder(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
}

/**
 * Waits until weights are being written. On a server: a COPY into the load's staging schema
 * (named after the loading process) is running. PGlite cannot be queried while another process
 * has it open, so there: its table files have grown by 8 MB since the CLI said it was copying.
 */
async function waitUntilCopying(target: TestDatabase, pid: number): Promise<void> {
  if (target.driver === 'pglite') {
    const start = bytesUnder(join(target.db, 'base'));
    return until(() => bytesUnder(join(target.db, 'base')) > start + 8 * 1024 * 1024);
  }
  const db = await openDatabase({ db: target.db, migrate: false });
  try {
    await until(async () => {
      const rows = await db.query("SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'COPY %' AND query LIKE $1", [`%__loading_${pid}%`]);
      return rows.length > 0;
    });
  } finally {
    await db.close();
  }
}

/** How an interrupted load ended. */
interface Ending {
  code: number | null;
  signal: string | null;
  stderr: string;
  /** PGlite only: how many bytes the table files grew by, from before the load to after it ended. */
  grown?: number;
}

/** Starts `gpt2sql load`, sends `signal` once weights are being written, and returns how it ended. */
async function interruptLoad(target: TestDatabase, args: string[], signal: NodeJS.Signals): Promise<Ending> {
  const base = join(target.db, 'base');
  const sizeBefore = target.driver === 'pglite' ? bytesUnder(base) : 0;
  const run = startCli(args);
  await Promise.race([run.until((_, stderr) => stderr.includes(': copying ')).then(() => waitUntilCopying(target, run.pid)), run.ended]);
  run.kill(signal);
  const { code, signal: killedBy, stderr } = await run.ended;
  return { code, signal: killedBy, stderr, grown: target.driver === 'pglite' ? bytesUnder(base) - sizeBefore : undefined };
}

describe.each(testDatabases())('an interrupted load on $driver', (target) => {
  const name = uniqueModelName('keep');
  let big: string;
  let before: ModelState;
  beforeAll(async () => {
    const small = tinyCheckpoint({ n_layer: 1, n_head: 1, n_embd: 4, n_ctx: 8, seed: 91 });
    big = await tinyCheckpoint({ ...BIG, seed: 92 });
    const load = await runCli(['load', await small, '--as', name, '--db', target.db]);
    expect(load.code, load.stderr).toBe(0);
    before = await modelState(target.db, name);
    expectLoaded(before);
  });
  afterAll(async () => {
    if (target.driver === 'pglite') rmSync(target.db, { recursive: true, force: true });
    else await runCli(['drop', name, '--db', target.db]);
  });
  const load = () => ['load', big, '--as', name, '--db', target.db];

  for (const [signal, code, again] of [['SIGINT', 130, 'Ctrl-C'], ['SIGTERM', 143, 'SIGTERM'], ['SIGHUP', 129, 'SIGHUP']] as const) {
    it(`rolls back on ${signal} while copying, says so in one line, exits ${code} and leaves the earlier model intact`, async () => {
      const ending = await interruptLoad(target, load(), signal);
      const lines = ending.stderr.trim().split('\n');
      expect(lines, ending.stderr).toHaveLength(3);
      expect(lines[0]).toMatch(new RegExp(`^load ${name}: copying \\d+ weights into `));
      expect(lines[1]).toBe(`gpt2sql: stopping at the next tensor; the load will be rolled back (${again} again to quit at once)`);
      expect(lines[2]).toBe(`gpt2sql: interrupted by ${signal}: loading ${name} was rolled back and the database is as it was; run the same command again to load it`);
      expect(ending.code).toBe(code);
      // A rollback removes the staging tables' files: the copy had written over 8 MB of them.
      if (ending.grown !== undefined) expect(ending.grown).toBeLessThan(4 * 1024 * 1024);
      expect(await modelState(target.db, name)).toEqual(before);
    });
  }

  // The process dies mid-transaction (as on a second Ctrl-C, the OOM killer or a power cut):
  // the server rolls back when the connection drops; PGlite recovers from its WAL on the next open.
  it('leaves the earlier model intact when the process is killed outright while copying', async () => {
    const ending = await interruptLoad(target, load(), 'SIGKILL');
    expect(ending.signal).toBe('SIGKILL');
    expect(ending.stderr).not.toContain('loaded');
    expect(await modelState(target.db, name)).toEqual(before);
  });
});
