import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MakeCheckpointOptions } from '../../src/checkpoint/make-checkpoint.ts';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import type { Checkpoint } from '../../src/checkpoint/types.ts';
import type { Database } from '../../src/db/database.ts';
import { listModels } from '../../src/engine/model.ts';
import { loadModel } from '../../src/load/load-model.ts';
import { weightTables } from '../../src/load/weight-tables.ts';
import { INLINE_BYTES, kernel, rowParts } from '../../src/sql/kernels/index.ts';
import { renderBound } from '../../src/sql/sql.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { testDatabases, uniqueModelName } from '../helpers/databases.ts';
import { readSafetensorsBytes } from '../helpers/safetensors-bytes.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';

/**
 * The small vocabulary (a full one's 50,257 rows of wte and vocab cost a load and its check about
 * 10 s a case): the subject is the weights' numbers, dtypes, keys and kernels. One case loads
 * GPT-2's whole tokenizer, one a tokenizer cut to 300 tokens.
 */
const SMALL = { n_layer: 2, n_head: 2, n_embd: 8, n_ctx: 16, vocab_size: SMALL_VOCAB } satisfies MakeCheckpointOptions;
const GPT2_VOCAB = 50257;

/** A generated checkpoint (cached: tests only read it). */
function checkpointDir(options: MakeCheckpointOptions): Promise<string> {
  return tinyCheckpoint({ ...SMALL, ...options });
}

async function load(db: Database, dir: string, name: string, kernel?: string) {
  const checkpoint = await openCheckpoint(dir);
  try {
    return await loadModel(db, checkpoint, { name, source: dir, kernel });
  } finally {
    await checkpoint.close();
  }
}

/**
 * Reads a stored table back as [key..., values] rows, in key order, vectors as float4 numbers:
 * matrix rows through their kernel's storedArray(), a row stored in parts joined again.
 */
async function storedRows(db: Database, schema: string, table: string): Promise<number[][]> {
  const keys = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = $2 AND column_name NOT IN ('values', 'norm', 'part') ORDER BY ordinal_position`,
    [schema, table],
  );
  const [model] = await db.query<{ kernel: string }>('SELECT kernel FROM gpt2sql.models WHERE schema_name = $1', [schema]);
  const kernelStorage = [...weightTables(true), ...weightTables(false)].find((t) => t.table === table)!.kernelStorage;
  const values = kernelStorage ? renderBound(kernel(model.kernel).storedArray('t')).text : 't.values::float4[]';
  const keyList = keys.map((k) => k.column_name);
  const parts = await db.query(`SELECT FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = 'part'`, [schema, table]);
  const order = [...keyList, ...(parts.length ? ['part'] : [])];
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${[...keyList.map((k) => `t.${k}`), `${values} AS values`].join(', ')} FROM "${schema}"."${table}" AS t ${order.length ? `ORDER BY ${order.map((k) => `t.${k}`).join(', ')}` : ''}`);
  const joined = new Map<string, number[]>();
  for (const row of rows) {
    const key = keyList.map((k) => row[k] as number);
    const id = key.join(',');
    if (!joined.has(id)) joined.set(id, key);
    joined.get(id)!.push(...(row.values as number[]));
  }
  return [...joined.values()];
}

/** What a table must hold, computed from the checkpoint's bytes and GPT-2's layout, not from the loader. */
function expectedRows(tensors: ReturnType<typeof readSafetensorsBytes>, table: string, nLayer: number, prefix: string): number[][] {
  const spec = weightTables(true).find((t) => t.table === table) ?? weightTables(false).find((t) => t.table === table)!;
  const blocks = spec.perBlock ? Array.from({ length: nLayer }, (_, i) => i) : [0];
  const rows: number[][] = [];
  for (const block of blocks) {
    const name = spec.tensor(block);
    const tensor = tensors.get(name === 'lm_head.weight' ? name : prefix + name)!;
    const lead = spec.perBlock ? [block] : [];
    const [r, c] = tensor.shape;
    if (spec.layout === 'vector') rows.push([...lead, ...tensor.values]);
    else if (spec.layout === 'rows') for (let i = 0; i < r; i++) rows.push([...lead, i, ...tensor.values.subarray(i * c, (i + 1) * c)]);
    else for (let j = 0; j < c; j++) rows.push([...lead, j, ...Array.from({ length: r }, (_, i) => tensor.values[i * c + j])]);
  }
  return rows;
}

describe.each(testDatabases())('load on $driver', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await target.open();
  });
  afterAll(async () => {
    for (const model of await listModels(db)) {
      if (model.name.startsWith('load_')) await db.exec(`DROP SCHEMA IF EXISTS "${model.schema_name}" CASCADE`);
    }
    await db.query(`DELETE FROM gpt2sql.models WHERE name LIKE 'load\\_%'`);
    await db.close();
  });

  const cases: Array<[string, MakeCheckpointOptions]> = [
    ['F32, plain keys, GPT-2\'s whole tokenizer', { dtype: 'F32', vocab_size: GPT2_VOCAB }],
    ['F32, transformer. prefix, explicit lm_head, buffers', { dtype: 'F32', prefix: true, lmHead: true, withBuffers: true, seed: 3 }],
    ['F16', { dtype: 'F16', seed: 4 }],
    ['BF16, openai tokenizer files', { dtype: 'BF16', seed: 5, tokenizer: 'openai' }],
    ['F32, GPT-2\'s tokenizer cut to 300 tokens', { dtype: 'F32', seed: 6, vocab_size: 300 }],
  ];
  it.each(cases)('stores exactly the checkpoint numbers: %s', async (_label, options) => {
    const dir = await checkpointDir(options);
    const name = uniqueModelName('load');
    const model = await load(db, dir, name, 'array');
    const tensors = readSafetensorsBytes(join(dir, 'model.safetensors'));
    const prefix = options.prefix ? 'transformer.' : '';
    for (const { table } of weightTables(true)) { // the generator's lm_head is a copy of wte: tied
      const expected = expectedRows(tensors, table, SMALL.n_layer, prefix).map((row) => row.map(Math.fround));
      expect(await storedRows(db, model.schema_name, table), table).toEqual(expected);
    }
    const vocabSize = options.vocab_size ?? SMALL.vocab_size;
    expect(model).toMatchObject({ n_layer: 2, n_head: 2, n_embd: 8, n_ctx: 16, vocab_size: vocabSize, dtype: options.dtype, tied_lm_head: true });
    // the vocabulary as the checkpoint's files have it: every id once, <|endoftext|> the last
    const [vocab] = await db.query<{ tokens: number; last: number; eot: number }>(
      `SELECT count(*)::int AS tokens, max(token) AS last, max(token) FILTER (WHERE symbol = '<|endoftext|>') AS eot FROM ${quoteIdent(model.schema_name)}.vocab`);
    expect(vocab).toEqual({ tokens: vocabSize, last: vocabSize - 1, eot: vocabSize - 1 });
  });

  it.each(['vector', 'cube'])('stores exactly the checkpoint numbers with the %s kernel, rows too long for a page in parts', async (kernelName) => {
    if (!(await db.availableExtensions()).has(kernelName)) {
      await expect(load(db, await checkpointDir({}), uniqueModelName('load'), kernelName)).rejects.toThrow(`needs the PostgreSQL extension "${kernelName}"`);
      return;
    }
    const check = async (options: MakeCheckpointOptions, tables: string[]) => {
      const dir = await checkpointDir(options);
      const model = await load(db, dir, uniqueModelName('load'), kernelName);
      expect(model.kernel).toBe(kernelName);
      const tensors = readSafetensorsBytes(join(dir, 'model.safetensors'));
      for (const table of tables) {
        const expected = expectedRows(tensors, table, SMALL.n_layer, '').map((row) => row.map(Math.fround));
        expect(await storedRows(db, model.schema_name, table), table).toEqual(expected);
      }
      return model;
    };
    await check({ seed: 13 }, weightTables(true).map((t) => t.table));
    // 256 wide: mlp_c_proj_w's rows have 1024 values, two parts for cube's 8 bytes a value.
    const wide = await check({ seed: 14, n_embd: 256 }, ['mlp_c_proj_w', 'mlp_c_fc_w']);
    const { count, size } = rowParts(kernel(kernelName), 1024);
    const [parts] = await db.query<{ parts: number; longest: number }>(
      `SELECT count(DISTINCT part)::int AS parts, max(pg_column_size(values))::int AS longest FROM "${wide.schema_name}".mlp_c_proj_w`);
    expect(parts.parts).toBe(count);
    expect(parts.longest).toBeLessThanOrEqual(INLINE_BYTES);
    expect(count * size).toBeGreaterThanOrEqual(1024);
    if (kernelName === 'cube') expect(count).toBe(2);
  });

  it('keeps the earlier model when a load fails half-way', async () => {
    const name = uniqueModelName('load');
    const dir = await checkpointDir({ seed: 7 });
    await load(db, dir, name, 'array');
    const before = await storedRows(db, name.toLowerCase(), 'mlp_c_fc_w');
    const broken: Checkpoint = await openCheckpoint(await checkpointDir({ seed: 8 }));
    const failing: Checkpoint = {
      ...broken,
      read: async (tensor) => {
        if (tensor === 'h.1.mlp.c_fc.weight') throw new Error('disk on fire');
        return broken.read(tensor);
      },
    };
    await expect(loadModel(db, failing, { name, source: 'broken' })).rejects.toThrow('disk on fire');
    await broken.close();
    expect(await storedRows(db, name.toLowerCase(), 'mlp_c_fc_w')).toEqual(before);
    expect((await listModels(db)).find((m) => m.name === name)?.source).toBe(dir);
    const leftovers = await db.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`${name.toLowerCase()}__loading%`]);
    expect(leftovers).toEqual([]);
  });

  it('replaces a model when it is loaded again', async () => {
    const name = uniqueModelName('load');
    await load(db, await checkpointDir({ seed: 11 }), name, 'array');
    const second = await checkpointDir({ seed: 12 });
    await load(db, second, name, 'array');
    const tensors = readSafetensorsBytes(join(second, 'model.safetensors'));
    expect(await storedRows(db, name.toLowerCase(), 'wpe')).toEqual(expectedRows(tensors, 'wpe', 2, '').map((row) => row.map(Math.fround)));
    expect((await listModels(db)).filter((m) => m.name === name)).toHaveLength(1);
  });
});
