import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.ts';
import { FORMAT_VERSION } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { generate } from '../../src/engine/generate.ts';
import { findModel } from '../../src/engine/model.ts';
import { generate as referenceGenerate } from '../../src/reference/generate.ts';
import { cachedHeads, kernel } from '../../src/sql/kernels/index.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { testDatabases, uniqueModelName } from '../helpers/databases.ts';
import { loadGeneratedModel, type LoadedModel } from '../helpers/loaded-model.ts';

const PROMPT = [464, 2068, 7586, 21831, 18045];

/**
 * A database of format 3 (the keys/values cache one float8[] table, gpt2sql.kv_cache, for every
 * model) with a model loaded: migrated up to 0003, the model loaded by today's loader, and what
 * that loader adds to the model's schema for later formats taken away again (the cache table of
 * format 4, the position_activation type of format 5), as a model loaded by the earlier release
 * has neither.
 */
async function formatThreeDatabase(db: string, name: string): Promise<LoadedModel> {
  const database = await openDatabase({ db, migrate: false });
  try {
    await database.exec('CREATE SCHEMA IF NOT EXISTS gpt2sql');
    const migrator = new Migrator({ db: database.kysely, provider: { getMigrations: async () => migrations }, migrationTableSchema: 'gpt2sql' });
    const { error } = await migrator.migrateTo('0003-kv-cache-per-head');
    if (error) throw error;
    await database.query("INSERT INTO gpt2sql.meta (key, value) VALUES ('format_version', '3')");
    const loaded = await loadGeneratedModel(database, 'upgrade', { preset: 'tiny', seed: 21 });
    await database.exec(`DROP TABLE ${quoteIdent(loaded.model.schema_name)}.kv_cache; DROP TYPE ${quoteIdent(loaded.model.schema_name)}.position_activation`);
    return loaded;
  } finally {
    await database.close();
  }
}

describe.each(testDatabases())('upgrading a database of format 3 on $driver', (target) => {
  const name = uniqueModelName('upgrade').toLowerCase();
  let db: string;
  let loaded: LoadedModel;
  beforeAll(async () => {
    if (target.driver === 'pglite') {
      db = mkdtempSync(join(tmpdir(), 'gpt2sql-test-upgrade-'));
    } else {
      const server = await openDatabase({ db: target.db, migrate: false });
      await server.exec(`CREATE DATABASE ${name}`).finally(() => server.close());
      const url = new URL(target.db);
      url.pathname = `/${name}`;
      db = url.toString();
    }
    loaded = await formatThreeDatabase(db, name);
  });
  afterAll(async () => {
    if (target.driver === 'pglite') {
      rmSync(db, { recursive: true, force: true });
    } else {
      const server = await openDatabase({ db: target.db, migrate: false });
      await server.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => server.close());
    }
  });

  it('gives the model a cache of its own in the types attention uses, and generates as the reference', async () => {
    const database = await openDatabase({ db });
    try {
      const meta = await database.query("SELECT value FROM gpt2sql.meta WHERE key = 'format_version'");
      expect(meta).toEqual([{ value: String(FORMAT_VERSION) }]);
      const [shared] = await database.query<{ found: string | null }>("SELECT to_regclass('gpt2sql.kv_cache')::text AS found");
      expect(shared.found).toBeNull();
      const model = await findModel(database, loaded.model.name);
      const columns = await database.query<{ name: string; type: string }>(
        `SELECT attname AS name, format_type(atttypid, NULL) AS type FROM pg_attribute
         WHERE attrelid = $1::regclass AND attname IN ('k', 'v') ORDER BY attname`,
        [`${quoteIdent(model.schema_name)}.kv_cache`]);
      const { k, v } = cachedHeads(kernel(model.kernel), model.n_embd / model.n_head);
      const typeName = (type: string) => (type === 'float8[]' ? 'double precision[]' : type);
      expect(columns).toEqual([{ name: 'k', type: typeName(k.type) }, { name: 'v', type: typeName(v.type) }]);

      const result = await generate(database, model, PROMPT, { maxTokens: 8 });
      expect(result.tokens).toEqual(referenceGenerate(loaded.weights, PROMPT, { maxTokens: 8, eotId: loaded.eotId }));
      const [left] = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteIdent(model.schema_name)}.kv_cache`);
      expect(left.n).toBe(0);
    } finally {
      await database.close();
    }
  });
});
