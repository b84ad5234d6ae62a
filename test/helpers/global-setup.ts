import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open-database.ts';
import { FORMAT_VERSION } from '../../src/db/migrate.ts';
import { PGLITE_TEMPLATE_DIR } from './databases.ts';

/** Kept between runs: the migrated template, cached checkpoints; and never a benchmark's. */
const KEPT = /^gpt2sql-(test-template-|test-checkpoints|bench|active-run-)/;

/**
 * A fresh PGlite directory takes seconds to initialize, so the suite builds one migrated
 * template per format version and each test copies it. After the run, the temporary
 * directories the tests made (PGlite copies of 50-100 MB each, checkpoints, caches) are removed.
 */
export default async function setup(): Promise<() => void> {
  const started = Date.now();
  const marker = join(tmpdir(), `gpt2sql-active-run-${process.pid}`);
  writeFileSync(marker, '');
  if (!existsSync(join(PGLITE_TEMPLATE_DIR, 'PG_VERSION'))) {
    const building = mkdtempSync(join(tmpdir(), `gpt2sql-template-v${FORMAT_VERSION}-`));
    const db = await openDatabase({ db: building });
    await db.close();
    rmSync(PGLITE_TEMPLATE_DIR, { recursive: true, force: true });
    renameSync(building, PGLITE_TEMPLATE_DIR);
  }
  return () => {
    rmSync(marker, { force: true });
    // Another test run on this machine may be using directories made since we started.
    if (!otherRunActive()) removeTemporaryDirectories(started);
  };
}

/** Another test run of this user's is going on. Other users' runs are none of our business: we remove only our own directories. */
function otherRunActive(): boolean {
  return readdirSync(tmpdir()).some((name) => {
    const pid = Number(/^gpt2sql-active-run-(\d+)$/.exec(name)?.[1]);
    if (!pid || !ours(join(tmpdir(), name))) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      rmSync(join(tmpdir(), name), { force: true }); // a run that died without its teardown
      return false;
    }
  });
}

function removeTemporaryDirectories(since: number): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('gpt2sql-') || KEPT.test(name)) continue;
    const path = join(tmpdir(), name);
    try {
      if (ours(path) && statSync(path).birthtimeMs >= since - 1000) rmSync(path, { recursive: true, force: true });
    } catch {
      // already gone
    }
  }
}

/** Made by the user running the tests (root too removes only its own). */
function ours(path: string): boolean {
  try {
    return statSync(path).uid === (process.getuid?.() ?? statSync(path).uid);
  } catch {
    return false;
  }
}
