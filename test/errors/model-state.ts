// What "the database is unchanged" means for a model: its catalog row, the tables and views in its
// schema with a checksum of every row, and no staging schema left behind by a load.
import { expect } from 'vitest';
import type { CliResult } from '../helpers/cli-process.ts';
import { openDatabase } from '../../src/db/open-database.ts';

export interface ModelState {
  row: Record<string, unknown> | undefined;
  /** table or view name -> row count and md5 over every row's text, in a fixed order. */
  tables: Record<string, { rows: number; md5: string }>;
  /** Schemas a load stages into (`<schema>__loading_<pid>`); must be none between loads. */
  staging: string[];
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Reads a model's state straight from the database, without migrating it (so a database that
 * gpt2sql refuses to open can still be inspected). For PGlite, nothing else may have it open.
 */
export async function modelState(db: string, name: string): Promise<ModelState> {
  const database = await openDatabase({ db, migrate: false });
  try {
    const [row] = await database.query<Record<string, unknown>>('SELECT * FROM gpt2sql.models WHERE name = $1', [name]);
    const schema = String(row?.schema_name ?? name);
    const names = await database.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    const tables: ModelState['tables'] = {};
    for (const { table_name: table } of names) {
      const [sum] = await database.query<{ rows: number; md5: string }>(
        `SELECT count(*)::int AS rows, md5(string_agg(t::text, ';' ORDER BY t::text)) AS md5 FROM ${quote(schema)}.${quote(table)} AS t`,
      );
      tables[table] = sum;
    }
    const staging = await database.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1 || '__loading') ORDER BY nspname",
      [schema],
    );
    return { row, tables, staging: staging.map((s) => s.nspname) };
  } finally {
    await database.close();
  }
}

/** Checks that a model is loaded and whole: a catalog row, weight tables with rows, no staging schema. */
export function expectLoaded(state: ModelState): void {
  expect(state.row).toBeDefined();
  for (const table of ['wte', 'wpe', 'c_attn_w', 'ln_f_g', 'vocab', 'merges']) expect(state.tables[table]?.rows).toBeGreaterThan(0);
  expect(state.staging).toEqual([]);
}

/**
 * A failure as a user should see it: exit code 1, nothing on stdout, and on stderr exactly one line,
 * `gpt2sql: …` matching `message`, with no stack trace. Returns that line.
 */
export function expectOneLineError(result: CliResult, message: RegExp): string {
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines, `stderr:\n${result.stderr}`).toHaveLength(1);
  expect(lines[0]).toMatch(/^gpt2sql: /);
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).toBe('');
  expect(result.code).toBe(1);
  return lines[0];
}
