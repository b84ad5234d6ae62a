import { Migrator } from 'kysely';
import { migrations } from '../../migrations/index.ts';
import { GptSqlError } from '../errors.ts';
import type { Database } from './database.ts';

/**
 * The on-disk format this program reads and writes. Bump it with every migration that a
 * previous release could not read; `gpt2sql.meta` records the database's own.
 */
export const FORMAT_VERSION = 7;

async function storedFormatVersion(db: Database): Promise<number | undefined> {
  const [found] = await db.query<{ exists: boolean }>("SELECT to_regclass('gpt2sql.meta') IS NOT NULL AS exists");
  if (!found.exists) return undefined;
  const rows = await db.query<{ value: string }>("SELECT value FROM gpt2sql.meta WHERE key = 'format_version'");
  return rows.length ? Number(rows[0].value) : undefined;
}

/** Applies pending migrations; refuses a database written by a newer gpt2sql. */
export async function migrateToLatest(db: Database): Promise<void> {
  const stored = await storedFormatVersion(db);
  if (stored !== undefined && stored > FORMAT_VERSION) {
    throw new GptSqlError(
      `the database ${db.location} has format version ${stored}, newer than this gpt2sql understands ` +
        `(${FORMAT_VERSION}); upgrade gpt2sql, or point --db at another database`,
    );
  }
  if (stored === FORMAT_VERSION) return;
  await db.exec('CREATE SCHEMA IF NOT EXISTS gpt2sql');
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: 'gpt2sql',
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
  await db.query(
    `INSERT INTO gpt2sql.meta (key, value) VALUES ('format_version', $1)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [String(FORMAT_VERSION)],
  );
}
