/**
 * `gpt2sql load --shards`: a model's weight matrices on shard databases, as foreign partitions of
 * the coordinator's tables; the catalog, `models`, `drop`, credentials, and loads that fail on a
 * shard (all or nothing). The shards are databases of the test server (helpers/shard-databases.ts);
 * the embedded database refuses --shards.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCommand } from '../../src/cli/commands/load.ts';
import { modelsCommand } from '../../src/cli/commands/models.ts';
import { dropCommand } from '../../src/cli/commands/drop.ts';
import { makeCheckpoint, type MakeCheckpointOptions } from '../../src/checkpoint/make-checkpoint.ts';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { generate } from '../../src/engine/generate.ts';
import { GptSqlError } from '../../src/errors.ts';
import { loadModel, type LoadOptions } from '../../src/load/load-model.ts';
import { weightTables } from '../../src/load/weight-tables.ts';
import { kernel, rowParts, shardedRows } from '../../src/sql/kernels/index.ts';
import { renderBound } from '../../src/sql/sql.ts';
import { freshPgliteDir, uniqueModelName } from '../helpers/databases.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { readSafetensorsBytes } from '../helpers/safetensors-bytes.ts';
import { createShardDatabases, type ShardDatabases } from '../helpers/shard-databases.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';

/** 256 wide: mlp_c_proj_w's rows (1024 values) are stored in two parts by the cube kernel. */
// The small vocabulary: the subject is how the matrices are spread over shards, wte as any other.
const SMALL = { n_layer: 2, n_head: 2, n_embd: 256, n_ctx: 16, vocab_size: SMALL_VOCAB, seed: 21 } satisfies MakeCheckpointOptions;
/** The matrices that go to the shards: the tables dot products read (the head is tied to wte). */
const MATRICES = weightTables(true).filter((table) => table.kernelStorage).map((table) => table.table);

let checkpointDir: Promise<string> | undefined;
function smallCheckpoint(): Promise<string> {
  checkpointDir ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt2sql-shards-'));
    await makeCheckpoint(dir, SMALL);
    return dir;
  })();
  return checkpointDir;
}

async function load(db: Database, name: string, options: Partial<LoadOptions>): Promise<ModelRow> {
  const dir = await smallCheckpoint();
  const checkpoint = await openCheckpoint(dir);
  try {
    return await loadModel(db, checkpoint, { name, source: dir, ...options });
  } finally {
    await checkpoint.close();
  }
}

describe('load --shards on pglite', () => {
  it('is refused with one line: the embedded database cannot reach other servers', async () => {
    const db = await openDatabase({ db: freshPgliteDir() });
    try {
      const refused = load(db, uniqueModelName('shards'), { shards: ['postgres://postgres@127.0.0.1:5432/a', 'postgres://postgres@127.0.0.1:5432/b'] });
      await expect(refused).rejects.toThrow(GptSqlError);
      await expect(refused).rejects.toThrow(/^--shards needs a PostgreSQL server with the postgres_fdw extension as the coordinator \(--db\); .* has none \(the embedded database cannot reach other servers\)$/);
      expect(await db.query('SELECT name FROM gpt2sql.models')).toEqual([]);
    } finally {
      await db.close();
    }
  });
});

const serverUrl = process.env.TEST_DATABASE_URL;
if (serverUrl) {
  describe('load --shards on postgres', () => {
    let dbs: ShardDatabases;
    let db: Database;
    beforeAll(async () => {
      dbs = await createShardDatabases(serverUrl, 2);
      db = await openDatabase({ db: dbs.coordinator });
    });
    afterAll(async () => {
      await db?.close();
      await dbs?.remove();
    });

    /** Rows (key, part, values as float4) of `table` on shard `k`, read on the shard itself. */
    async function rowsOnShard(k: number, model: ModelRow, table: string, n: number): Promise<Array<{ block: number | null; key: number; part: number; values: number[] }>> {
      const shard = await openDatabase({ db: dbs.shards[k], migrate: false });
      try {
        const spec = weightTables(true).find((t) => t.table === table)!;
        const values = renderBound(shardedRows(kernel(model.kernel)).storedArray('t', n)).text;
        return await shard.query(
          `SELECT ${spec.perBlock ? 't.block' : 'NULL::int AS block'}, t.${spec.key} AS key, t.part, ${values} AS values
           FROM "${model.schema_name}__shard_${k}"."${table}" AS t ORDER BY 1, 2, 3`);
      } finally {
        await shard.close();
      }
    }

    it('puts each matrix on the shards in contiguous ranges of output columns, the checkpoint\'s exact numbers, parts together', async () => {
      const model = await load(db, uniqueModelName('shards'), { kernel: 'cube', shards: dbs.shards });
      expect(model).toMatchObject({ shards: 2, kernel: 'cube' });
      const tensors = readSafetensorsBytes(join(await smallCheckpoint(), 'model.safetensors'));
      const C = SMALL.n_embd;
      for (const table of MATRICES) {
        const spec = weightTables(true).find((t) => t.table === table)!;
        const wide = { c_attn_w: 3 * C, c_proj_w: C, mlp_c_fc_w: 4 * C, mlp_c_proj_w: C, wte: SMALL_VOCAB }[table]!;
        const width = { c_attn_w: C, c_proj_w: C, mlp_c_fc_w: C, mlp_c_proj_w: 4 * C, wte: C }[table]!;
        const parts = spec.layout === 'columns' ? rowParts(kernel('cube'), width) : { count: 1, size: width };
        const seen: number[] = [];
        for (const k of [0, 1]) {
          const rows = await rowsOnShard(k, model, table, parts.size);
          const keys = [...new Set(rows.map((row) => row.key))];
          // contiguous: one range, after the shard before
          expect(keys, `${table} on shard ${k}`).toEqual(Array.from({ length: keys.length }, (_, i) => keys[0] + i));
          expect(keys[0], `${table} on shard ${k}`).toBe(seen.length);
          seen.push(...keys);
          for (const block of spec.perBlock ? [0, 1] : [null]) {
            const tensor = tensors.get(spec.tensor(block ?? 0))!;
            for (const key of [keys[0], keys.at(-1)!]) {
              const all = rows.filter((row) => row.block === block && row.key === key);
              // every part on the same shard, then the key's empty row (shardedKeyColumns)
              expect(all.map((row) => row.part), `${table} ${block} ${key}`).toEqual(Array.from({ length: parts.count + 1 }, (_, p) => p));
              expect(all.at(-1)!.values, `${table} ${block} ${key}: the empty row`).toBeNull();
              const stored = all.slice(0, -1);
              const expected = spec.layout === 'columns'
                ? Array.from({ length: width }, (_, i) => tensor.values[i * wide + key])
                : [...tensor.values.subarray(key * width, (key + 1) * width)];
              expect(stored.flatMap((row) => row.values), `${table} ${block} ${key}`).toEqual(expected.map(Math.fround));
            }
          }
        }
        expect(seen.length, table).toBe(wide);
        // On the coordinator: a partitioned table whose partitions are foreign tables, one per shard, over the same ranges.
        const partitions = await db.query<{ relkind: string; bound: string; server: string }>(
          `SELECT child.relkind::text, pg_get_expr(child.relpartbound, child.oid) AS bound, server.srvname AS server
           FROM pg_inherits JOIN pg_class AS child ON child.oid = pg_inherits.inhrelid
           JOIN pg_foreign_table AS ft ON ft.ftrelid = child.oid JOIN pg_foreign_server AS server ON server.oid = ft.ftserver
           WHERE pg_inherits.inhparent = $1::regclass ORDER BY 2`, [`"${model.schema_name}"."${table}"`]);
        expect(partitions.map((p) => p.relkind)).toEqual(['f', 'f']);
        const split = (await rowsOnShard(1, model, table, parts.size))[0].key;
        expect(partitions.map((p) => p.bound).sort()).toEqual([`FOR VALUES FROM (0) TO (${split})`, `FOR VALUES FROM (${split}) TO (${wide})`].sort());
        expect(partitions.map((p) => p.server).sort()).toEqual([`${model.schema_name}__shard_0`, `${model.schema_name}__shard_1`]);
      }
      // The small tensors, the tokenizer and the cache stay on the coordinator, as ordinary tables.
      const local = await db.query<{ relname: string; relkind: string }>(
        `SELECT relname, relkind::text FROM pg_class WHERE relnamespace = $1::regnamespace AND relname IN ('wpe', 'ln_1_g', 'c_attn_b', 'ln_f_b', 'vocab', 'merges', 'kv_cache') ORDER BY 1`, [model.schema_name]);
      expect(local).toEqual(['c_attn_b', 'kv_cache', 'ln_1_g', 'ln_f_b', 'merges', 'vocab', 'wpe'].map((relname) => ({ relname, relkind: 'r' })));
      await dropCommand(model.name, { db: dbs.coordinator }, memoryIo());
    });

    it('records the shards: the catalog, models (table and JSON) show where they are, never a password; drop removes the model from every shard', async () => {
      const name = uniqueModelName('shards');
      const io = memoryIo();
      await loadCommand(await smallCheckpoint(), { db: dbs.coordinator, as: name, kernel: 'array', shards: dbs.shards.join(',') }, io);
      expect(io.stderr).toContain('its weight matrices on 2 shards');
      const model = (await db.query<ModelRow>('SELECT * FROM gpt2sql.models WHERE name = $1', [name]))[0];
      const locations = dbs.names.map((database) => `${new URL(serverUrl).hostname}:${new URL(serverUrl).port || 5432}/${database}`);
      expect(await db.query('SELECT shard, location, server_name, remote_schema FROM gpt2sql.shards WHERE model = $1 ORDER BY shard', [name])).toEqual(
        locations.map((location, shard) => ({ shard, location, server_name: `${model.schema_name}__shard_${shard}`, remote_schema: `${model.schema_name}__shard_${shard}` })));
      const table = memoryIo();
      await modelsCommand({ db: dbs.coordinator }, table);
      expect(table.stdout.split('\n').find((line) => line.startsWith(name))).toContain(locations.join(', '));
      const json = memoryIo();
      await modelsCommand({ db: dbs.coordinator, json: true }, json);
      expect(JSON.parse(json.stdout).find((m: ModelRow) => m.name === name)).toMatchObject({ shards: 2, shard_locations: locations });
      // The credentials are in the user mapping, and nowhere the user sees.
      const [mapping] = await db.query<{ umoptions: string[] }>('SELECT umoptions FROM pg_user_mappings WHERE srvname = $1', [`${model.schema_name}__shard_0`]);
      expect(mapping.umoptions).toContain(`password=${dbs.password}`);
      const [server] = await db.query<{ srvoptions: string[] }>('SELECT srvoptions FROM pg_foreign_server WHERE srvname = $1', [`${model.schema_name}__shard_0`]);
      expect(server.srvoptions.join(' ')).not.toContain(dbs.password);
      for (const text of [io.stdout, io.stderr, table.stdout, table.stderr, json.stdout]) expect(text).not.toContain(dbs.password);

      expect(await dbs.schemasOn(0, model.schema_name)).toEqual([`${model.schema_name}__shard_0`]);
      // A shard that cannot be reached: nothing is dropped anywhere.
      dbs.down(1);
      try {
        await expect(dropCommand(name, { db: dbs.coordinator }, memoryIo())).rejects.toThrow(new RegExp(`^shard 1 \\(.*${dbs.names[1]}\\): cannot connect to PostgreSQL.*; ${name} was not dropped \\(bring the shard back and run drop again\\)$`));
      } finally {
        dbs.up(1);
      }
      expect(await dbs.schemasOn(0, model.schema_name)).toEqual([`${model.schema_name}__shard_0`]);
      expect(await db.query('SELECT name FROM gpt2sql.models WHERE name = $1', [name])).toEqual([{ name }]);
      const dropped = memoryIo();
      await dropCommand(name, { db: dbs.coordinator }, dropped);
      expect(dropped.stderr).toBe(`dropped model ${name}\n`);
      for (const k of [0, 1]) expect(await dbs.schemasOn(k, model.schema_name)).toEqual([]);
      expect(await db.query('SELECT srvname FROM pg_foreign_server WHERE starts_with(srvname, $1)', [model.schema_name])).toEqual([]);
      expect(await db.query('SELECT * FROM gpt2sql.shards WHERE model = $1', [name])).toEqual([]);
      expect(await db.query('SELECT nspname FROM pg_namespace WHERE nspname = $1', [model.schema_name])).toEqual([]);
    });

    it('is all or nothing: a shard that fails mid-load, one that cannot be reached, or Ctrl-C leave every server as it was', async () => {
      const name = uniqueModelName('shards');
      const first = await load(db, name, { kernel: 'cube', shards: dbs.shards });
      const prompt = [464, 11, 995];
      const before = await generate(db, first, prompt, { maxTokens: 4 });
      const state = async () => ({
        coordinator: await db.query(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY 1`, [first.schema_name]),
        servers: await db.query('SELECT srvname, srvoptions FROM pg_foreign_server WHERE starts_with(srvname, $1) ORDER BY 1', [first.schema_name]),
        catalog: await db.query('SELECT name, loaded_at, shards FROM gpt2sql.models WHERE name = $1', [name]),
        shards: await db.query('SELECT * FROM gpt2sql.shards WHERE model = $1 ORDER BY shard', [name]),
        onShards: [await dbs.schemasOn(0, first.schema_name), await dbs.schemasOn(1, first.schema_name)],
      });
      const was = await state();
      expect(was.onShards).toEqual([[`${first.schema_name}__shard_0`], [`${first.schema_name}__shard_1`]]);

      // Shard 1 goes down while the matrices are being copied (after shard 0 has some of its rows).
      let cut = false;
      const failed = load(db, name, {
        kernel: 'cube', shards: dbs.shards,
        onProgress: (_done, _total, table) => {
          if (table === 'c_proj_w' && !cut) {
            cut = true;
            dbs.down(1);
          }
        },
      });
      await expect(failed).rejects.toThrow(/^shard 1 \(.*\/gpt2sql_shards_\w+_b\): /);
      dbs.up(1);
      expect(cut).toBe(true);
      expect(await state()).toEqual(was);

      // A shard that cannot be reached at all.
      const unreachable = [dbs.shards[0], dbs.shards[1].replace(/_b$/, '_missing')];
      await expect(load(db, name, { kernel: 'cube', shards: unreachable })).rejects.toThrow(/^shard 1 \(.*_missing\): cannot connect to PostgreSQL/);
      expect(await state()).toEqual(was);

      // Ctrl-C half-way.
      const stop = new AbortController();
      await expect(load(db, name, {
        kernel: 'cube', shards: dbs.shards, signal: stop.signal,
        onProgress: (_done, _total, table) => table === 'mlp_c_fc_w' && stop.abort(new Error('stopped by the test')),
      })).rejects.toThrow('stopped by the test');
      expect(await state()).toEqual(was);

      // The model loaded first still answers as before.
      expect(await generate(db, first, prompt, { maxTokens: 4 })).toEqual(before);
      for (const error of [await failed.catch((e: Error) => e.message)]) expect(error).not.toContain(dbs.password);
      await dropCommand(name, { db: dbs.coordinator }, memoryIo());
    });

    it('refuses what cannot work, before writing anything', async () => {
      const name = uniqueModelName('shards');
      await expect(load(db, name, { kernel: 'cube', shards: [dbs.shards[0], dbs.shards[0]] })).rejects.toThrow(/^shards 0 and 1 are the same database/);
      await expect(load(db, name, { kernel: 'cube', shards: ['/tmp/somewhere'] })).rejects.toThrow(/^shard 0 is not a postgres:\/\/ URL/);
      if (!(await db.availableExtensions()).has('vector')) {
        await expect(load(db, name, { kernel: 'vector', shards: dbs.shards })).rejects.toThrow(/needs the PostgreSQL extension "vector"/);
      }
      expect(await db.query('SELECT name FROM gpt2sql.models WHERE name = $1', [name])).toEqual([]);
      for (const k of [0, 1]) expect(await dbs.schemasOn(k, name)).toEqual([]);
    });
  });
}
