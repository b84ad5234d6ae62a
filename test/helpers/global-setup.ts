import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open-database.ts';
import { FORMAT_VERSION } from '../../src/db/migrate.ts';
import { PGLITE_TEMPLATE_DIR } from './databases.ts';

/**
 * A fresh PGlite directory takes seconds to initialize, so the suite builds one migrated
 * template per format version and each test copies it.
 */
export default async function setup(): Promise<void> {
  if (existsSync(join(PGLITE_TEMPLATE_DIR, 'PG_VERSION'))) return;
  const building = mkdtempSync(join(tmpdir(), `gpt2sql-template-v${FORMAT_VERSION}-`));
  const db = await openDatabase({ db: building });
  await db.close();
  rmSync(PGLITE_TEMPLATE_DIR, { recursive: true, force: true });
  renameSync(building, PGLITE_TEMPLATE_DIR);
}
