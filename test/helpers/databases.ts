import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../../src/db/database.ts';
import { FORMAT_VERSION } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { sharedTempDir } from './shared-temp-dir.ts';

export const PGLITE_TEMPLATE_DIR = sharedTempDir(`gpt2sql-test-template-v${FORMAT_VERSION}`);

/** A database a test runs against: `db` is what the CLI's --db takes. */
export interface TestDatabase {
  driver: 'pglite' | 'postgres';
  db: string;
  open(): Promise<Database>;
}

/** A new PGlite directory, copied from the migrated template. */
export function freshPgliteDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gpt2sql-test-'));
  cpSync(PGLITE_TEMPLATE_DIR, dir, { recursive: true });
  return dir;
}

/**
 * The databases every feature is tested on: PGlite always, and the server named by
 * TEST_DATABASE_URL when it is set. Each call gives a new PGlite directory; the server is shared,
 * so tests use model names of their own.
 *
 * The PGlite directory is copied from the template (39 MB, a second or two) when the test first
 * reads `db` or calls `open`, not when the list is made: the lists are made while vitest collects
 * a file, for every describe block, also those a file filters out or never runs on PGlite.
 *
 * @example
 * describe.each(testDatabases())('$driver', (target) => { ... });
 */
export function testDatabases(): TestDatabase[] {
  let pgliteDir: string | undefined;
  const dir = () => (pgliteDir ??= freshPgliteDir());
  const list: TestDatabase[] = [
    { driver: 'pglite', get db() { return dir(); }, open: () => openDatabase({ db: dir() }) },
  ];
  const url = process.env.TEST_DATABASE_URL;
  if (url) list.push({ driver: 'postgres', db: url, open: () => openDatabase({ db: url }) });
  return list;
}

/** A model name unique to this test process, so parallel test files never share one. */
export function uniqueModelName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}
