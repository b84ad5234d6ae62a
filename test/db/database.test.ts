import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { encodeTuple, float4ArrayField, int4Field } from '../../src/db/copy-binary.ts';
import { FORMAT_VERSION } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { testDatabases, uniqueModelName } from '../helpers/databases.ts';

describe.each(testDatabases())('database layer on $driver', (target) => {
  let db: Database;
  const schema = uniqueModelName('dbtest');
  beforeAll(async () => {
    db = await target.open();
    await db.exec(`CREATE SCHEMA ${schema}`);
  });
  afterAll(async () => {
    await db.exec(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });

  it('returns the same JavaScript values on both drivers', async () => {
    const rows = await db.query('SELECT 7::int8 AS big, 2.5::float8 AS d, ARRAY[0.1, -3]::float4[] AS v, $1::text AS t', ['é']);
    expect(rows).toEqual([{ big: 7, d: 2.5, v: [Math.fround(0.1), -3], t: 'é' }]);
  });

  it('copies float4 arrays bit for bit with binary COPY', async () => {
    await db.exec(`CREATE TABLE ${schema}.m (id int, v float4[])`);
    const rows = Array.from({ length: 50 }, (_, i) => Float32Array.from({ length: 7 }, (_, j) => Math.sin(i * 7 + j) * 1e-3 * (i + 1)));
    async function* tuples() {
      for (const [i, row] of rows.entries()) yield encodeTuple([int4Field(i), float4ArrayField(row)]);
    }
    await db.copyBinary(`${schema}.m`, ['id', 'v'], tuples());
    const back = await db.query<{ id: number; v: number[] }>(`SELECT id, v FROM ${schema}.m ORDER BY id`);
    expect(back.map((r) => Float32Array.from(r.v))).toEqual(rows);
  });

  it('opens with JIT off, and says how psql reaches it without naming a password', async () => {
    expect(await db.query('SHOW jit')).toEqual([{ jit: 'off' }]);
    if (target.driver === 'postgres') expect(db.psqlHint).toBe(`psql ${db.location}`);
    else expect(db.psqlHint).toMatch(/^gpt2sql serve .*psql -h 127\.0\.0\.1 -p 5433 /);
  });

  it('rolls a failed transaction back', async () => {
    await db.exec(`CREATE TABLE ${schema}.tx (id int)`);
    await expect(
      db.transaction(async () => {
        await db.query(`INSERT INTO ${schema}.tx VALUES (1)`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.query(`SELECT * FROM ${schema}.tx`)).toEqual([]);
  });

  it('records the format version and runs Kysely queries', async () => {
    const meta = await db.kysely.selectFrom('gpt2sql.meta').selectAll().where('key', '=', 'format_version').execute();
    expect(meta).toEqual([{ key: 'format_version', value: String(FORMAT_VERSION) }]);
  });
});

describe('format version check', () => {
  it('refuses a database written by a newer gpt2sql, and leaves it alone', async () => {
    const [pglite] = testDatabases();
    const db = await pglite.open();
    await db.query(`UPDATE gpt2sql.meta SET value = $1 WHERE key = 'format_version'`, [String(FORMAT_VERSION + 1)]);
    await db.close();
    await expect(openDatabase({ db: pglite.db })).rejects.toThrow(/newer than this gpt2sql understands/);
  });
});
