// Issue 7, point 5 (loads): killing `gpt2sql load` with SIGINT or SIGTERM while it copies weights
// leaves the model loaded before as it was. The process dies mid-transaction: a server rolls the
// transaction back when the connection drops; PGlite's next open must recover from its WAL.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { testDatabases, uniqueModelName, type TestDatabase } from '../helpers/databases.ts';
import { runCli } from '../helpers/run-cli.ts';
import { expectLoaded, modelState, type ModelState } from './model-state.ts';

const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));

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

/** Starts `gpt2sql load`, kills it with `signal` once it is copying, and returns how it ended. */
async function interruptLoad(target: TestDatabase, args: string[], signal: NodeJS.Signals): Promise<{ signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args]);
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const ended = new Promise<string | null>((resolve) => child.on('close', (_code, killedBy) => resolve(killedBy)));
  await Promise.race([until(() => stderr.includes(': copying ')), ended]);
  await waitUntilCopying(target, child.pid!);
  child.kill(signal);
  return { signal: await ended, stderr };
}

describe.each(testDatabases())('an interrupted load on $driver', (target) => {
  const name = uniqueModelName('keep');
  let big: string;
  let before: ModelState;
  beforeAll(async () => {
    const [small] = await Promise.all([tinyCheckpoint({ n_layer: 1, n_head: 1, n_embd: 4, n_ctx: 8, seed: 91 }), tinyCheckpoint({ ...BIG, seed: 92 }).then((dir) => (big = dir))]);
    const load = await runCli(['load', small, '--as', name, '--db', target.db]);
    expect(load.code, load.stderr).toBe(0);
    before = await modelState(target.db, name);
    expectLoaded(before);
  });
  afterAll(async () => {
    await runCli(['drop', name, '--db', target.db]);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`leaves the earlier model intact when killed by ${signal} while copying`, async () => {
      const result = await interruptLoad(target, ['load', big, '--as', name, '--db', target.db], signal);
      expect(result.stderr).toMatch(new RegExp(`load ${name}: copying \\d+ weights into`));
      expect(result.stderr).not.toContain('loaded');
      expect(result.signal).toBe(signal); // killed mid-load, not finished or failed on its own
      const after = await modelState(target.db, name);
      expect(after).toEqual(before);
    });
  }
});
