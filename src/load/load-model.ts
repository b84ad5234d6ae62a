import type { Checkpoint } from '../checkpoint/types.ts';
import type { ModelRow } from '../db/catalog-tables.ts';
import { encodeTuple, int4Field, type Field } from '../db/copy-binary.ts';
import type { Database } from '../db/database.ts';
import { GptSqlError } from '../errors.ts';
import { chooseKernel, INLINE_BYTES, rowParts, type Kernel } from '../sql/kernels/index.ts';
import { quoteIdent } from '../sql/quote.ts';
import { FLOAT4_ARRAY, kernelStorage, positionActivationTypeSql, shardedStorage, type StoredColumn } from './kernel-storage/index.ts';
import { ShardLoad, type CopyRows } from './shard-load.ts';
import { shardRows, type Shard } from './shards.ts';
import { kvCacheTableSql } from './kv-cache-table.ts';
import { schemaForModel } from './model-names.ts';
import { loadTokenizerTables } from './tokenizer-tables.ts';
import { keyColumns, shardedKeyColumns, storedVectors, tableTensors, weightTables, type WeightTable } from './weight-tables.ts';

export interface LoadOptions {
  /** The model's name in the catalog (`--as`). */
  name: string;
  /** Where it came from, as the user named it (a directory or a hub id). */
  source: string;
  /** `--kernel`: auto or a kernel's name (src/sql/kernels/). */
  kernel?: string;
  /**
   * `--shards`: PostgreSQL URLs of the servers that hold the weight matrices' rows, each a
   * contiguous range of output columns; `db` (the coordinator) reads them through postgres_fdw.
   */
  shards?: readonly string[];
  /** Called as weights stream in: values copied so far, and in all. */
  onProgress?(done: number, total: number, table: string): void;
  /** Stops the load at the next tensor or step, rolling it back; the load rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Loads a checkpoint into its own schema, atomically: everything is written into a staging
 * schema inside one transaction, which at the end replaces the model's schema and catalog row.
 * A load that fails (or is interrupted) rolls back and leaves the earlier state as it was.
 *
 * With `shards`, the weight matrices' rows go to the shards, each in a staging schema inside a
 * transaction of its own, and the coordinator's tables of them are partitioned tables whose
 * partitions are foreign tables; the shards switch to their new schemas just before the
 * coordinator commits, all or none (switchShards), so a load that fails anywhere leaves every
 * server as it was.
 *
 * @example
 * const model = await loadModel(db, await openCheckpoint(dir), { name: 'tiny', source: dir });
 */
export async function loadModel(db: Database, checkpoint: Checkpoint, options: LoadOptions): Promise<ModelRow> {
  const schema = schemaForModel(options.name);
  const staging = `${schema}__loading_${process.pid}`;
  const available = await db.availableExtensions();
  const shards = options.shards ? await ShardLoad.open(db, schema, options.shards, available) : undefined;
  try {
    const kernel = shards ? await shards.kernel(options.kernel ?? 'auto', available) : chooseKernel(options.kernel ?? 'auto', available);
    await shards?.begin(kernel);
    try {
      await db.transaction(async () => {
        if (kernel.extension) await db.exec(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(kernel.extension)} SCHEMA public`);
        await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(staging)} CASCADE; CREATE SCHEMA ${quoteIdent(staging)}`);
        await ShardLoad.replaceForeignServers(db, schema, shards, kernel);
        await copyWeights(db, checkpoint, staging, kernel, options, shards);
        options.signal?.throwIfAborted();
        await loadTokenizerTables(db, staging, checkpoint.tokenizer);
        await db.exec(kvCacheTableSql(staging, { kernel: kernel.name, n_embd: checkpoint.config.n_embd, n_head: checkpoint.config.n_head }));
        await db.exec(positionActivationTypeSql(staging, kernel));
        await claimSchema(db, schema, options.name);
        await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE; ALTER SCHEMA ${quoteIdent(staging)} RENAME TO ${quoteIdent(schema)}`);
        await recordModel(db, checkpoint, options, schema, kernel, shards?.shards ?? []);
        options.signal?.throwIfAborted();
        await shards?.switchAll();
        await shards?.attachPartitions(db, schema);
        options.signal?.throwIfAborted(); // the last chance: after this, COMMIT
      });
    } catch (error) {
      await shards?.undo();
      throw error;
    }
    await shards?.done();
  } finally {
    await shards?.close();
  }
  return (await db.kysely.selectFrom('gpt2sql.models').selectAll().where('name', '=', options.name).executeTakeFirstOrThrow());
}

/** Refuses a schema that belongs to another model, or to something that is not a model. */
async function claimSchema(db: Database, schema: string, name: string): Promise<void> {
  const owner = await db.kysely.selectFrom('gpt2sql.models').select('name').where('schema_name', '=', schema).executeTakeFirst();
  if (owner && owner.name !== name) {
    throw new GptSqlError(`model "${owner.name}" already uses the schema "${schema}"; choose another name with --as`);
  }
  const [found] = await db.query<{ exists: boolean }>('SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1) AS exists', [schema]);
  if (found.exists && !owner) {
    throw new GptSqlError(`the database already has a schema "${schema}" that is not a gpt2sql model; choose another name with --as`);
  }
}

async function recordModel(db: Database, checkpoint: Checkpoint, options: LoadOptions, schema: string, kernel: Kernel, shards: readonly Shard[]): Promise<void> {
  const { config } = checkpoint;
  const row = {
    name: options.name,
    schema_name: schema,
    n_layer: config.n_layer,
    n_head: config.n_head,
    n_embd: config.n_embd,
    n_ctx: config.n_ctx,
    vocab_size: config.vocab_size,
    layer_norm_epsilon: config.layer_norm_epsilon,
    kernel: kernel.name,
    dtype: [...new Set(checkpoint.tensors.map((t) => t.dtype))].join('+'),
    tied_lm_head: checkpoint.tiedLmHead,
    source: options.source,
    ...(shards.length ? { shards: shards.length } : {}), // 0 by default (and a database of format 5, which the upgrade tests load into, has no such column)
    loaded_at: new Date(),
  };
  await db.kysely.deleteFrom('gpt2sql.models').where('name', '=', options.name).execute();
  await db.kysely.insertInto('gpt2sql.models').values(row).execute();
  if (shards.length) await db.kysely.insertInto('gpt2sql.shards').values(shardRows(options.name, shards)).execute();
}

/** The OID of a type (an extension's types have different OIDs in every database). */
async function typeOid(db: Database, type: string): Promise<number> {
  const [row] = await db.query<{ oid: number }>('SELECT to_regtype($1)::oid::int8 AS oid', [type]);
  return row.oid;
}

/** A table's columns: its keys, then its stored columns (NOT NULL unless `nullable`: a sharded matrix's empty rows), and its primary key. */
function columnDefinitions(keys: readonly string[], stored: StoredColumn[], nullable = false): string {
  const columns = [...keys.map((k) => `${k} integer NOT NULL`), ...stored.map((c) => `${c.name} ${c.type}${nullable ? '' : ' NOT NULL'}`)];
  const primaryKey = keys.length ? `,\n  PRIMARY KEY (${keys.join(', ')})` : '';
  return `(\n  ${columns.join(',\n  ')}${primaryKey}\n)`;
}

/**
 * Creates each weight table and streams its tensors in with binary COPY. With shards, a matrix's
 * rows (the tables dot products read) go to the shards instead (ShardLoad.copyMatrix).
 */
async function copyWeights(db: Database, checkpoint: Checkpoint, schema: string, kernel: Kernel, { onProgress, signal }: LoadOptions, shards?: ShardLoad): Promise<void> {
  const total = checkpoint.tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
  let done = 0;
  const copied = (table: string) => (count: number) => {
    done += count;
    onProgress?.(done, total, table);
  };
  const { elementType } = kernelStorage(kernel);
  const elementOid = elementType ? await typeOid(db, elementType) : undefined;
  for (const table of weightTables(checkpoint.tiedLmHead)) {
    const tensors = tableTensors(table, checkpoint.config);
    const shape = checkpoint.tensors.find((t) => t.name === tensors[0])!.shape;
    const sharded = shards !== undefined && table.kernelStorage;
    const { parts, stored, fields } = rowStorage(table, shape, kernel, sharded, elementOid);
    const inline = table.kernelStorage && parts.size * kernel.bytesPerValue <= INLINE_BYTES;
    const keys = sharded ? shardedKeyColumns(table) : keyColumns(table);
    const copy: CopyRows = async (target, tableSchema, range) => {
      const qualified = `${quoteIdent(tableSchema)}.${quoteIdent(table.table)}`;
      await target.exec(`CREATE TABLE ${qualified} ${columnDefinitions(keys, stored, sharded)}`);
      if (inline) await target.exec(stored.map((c) => `ALTER TABLE ${qualified} ALTER COLUMN ${quoteIdent(c.name)} SET STORAGE PLAIN`).join(';\n'));
      const rows = { parts, fields, range, empty: sharded ? stored.length : undefined };
      const tuples = storedTuples(checkpoint, table, tensors, shape, rows, copied(table.table), signal);
      await target.copyBinary(qualified, [...keys, ...stored.map((c) => c.name)], tuples, { freeze: true });
    };
    if (sharded) await shards.copyMatrix(db, schema, { table, stored, keys: table.layout === 'columns' ? shape[1] : shape[0], copy });
    else {
      await copy(db, schema);
      // Statistics now: the planner reads a block's rows through the primary key, in column order
      // (lanes.ts: no sort), when it knows how many rows a block has and that they lie in that order.
      await db.exec(`ANALYZE ${quoteIdent(schema)}.${quoteIdent(table.table)}`);
    }
  }
  if (checkpoint.tiedLmHead) {
    await db.exec(`CREATE VIEW ${quoteIdent(schema)}.lm_head AS SELECT * FROM ${quoteIdent(schema)}.wte`);
  }
}

/**
 * How a table of `shape` stores its rows: in how many parts of how many values, its stored
 * columns, and each row's COPY fields: the kernel's for matrix rows (on a shard, its sharded
 * rows), one float4[] for the rest.
 */
function rowStorage(table: WeightTable, shape: number[], kernel: Kernel, sharded: boolean, elementOid?: number) {
  const width = table.layout === 'columns' ? shape[0] : shape[shape.length - 1];
  const parts = table.layout === 'columns' ? rowParts(kernel, width) : { count: 1, size: width };
  if (sharded) return { parts, stored: shardedStorage(kernel).columns(parts.size), fields: (values: Float32Array) => shardedStorage(kernel).fields(values) };
  if (!table.kernelStorage) return { parts, stored: FLOAT4_ARRAY.columns(width), fields: FLOAT4_ARRAY.fields };
  const storage = kernelStorage(kernel);
  const stored = storage.columns(parts.count * parts.size === width ? parts.size : undefined);
  return { parts, stored, fields: (values: Float32Array): Field[] => storage.fields(values, elementOid) };
}

/** Which rows storedTuples yields, and how. */
interface RowsToCopy {
  parts: { count: number; size: number };
  fields: (values: Float32Array) => Field[];
  /** Only the rows whose key (column or token) is in [from, to). */
  range?: [number, number];
  /** A sharded matrix's: after each key's parts, its empty row (part = the number of parts) of this many NULL columns (shardedKeyColumns). */
  empty?: number;
}

/**
 * A table's stored rows as binary COPY tuples, tensor after tensor. `copied(n)` counts the values
 * of each tensor's rows.
 */
async function* storedTuples(
  checkpoint: Checkpoint, table: WeightTable, tensors: string[], shape: number[], { parts, fields, range, empty }: RowsToCopy,
  copied: (values: number) => void, signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const partKey = table.layout === 'columns' || empty !== undefined;
  for (const [block, name] of tensors.entries()) {
    signal?.throwIfAborted();
    const data = await checkpoint.read(name);
    let values = 0;
    for (const [key, row] of storedVectors(table.layout, data, shape)) {
      if (range && (key! < range[0] || key! >= range[1])) continue;
      values += row.length;
      const keys = (part: number): Field[] => [
        ...(table.perBlock ? [int4Field(block)] : []), ...(key !== undefined ? [int4Field(key)] : []), ...(partKey ? [int4Field(part)] : []),
      ];
      for (let part = 0; part < parts.count; part++) {
        yield encodeTuple([...keys(part), ...fields(row.subarray(part * parts.size, (part + 1) * parts.size))]);
      }
      if (empty !== undefined) yield encodeTuple([...keys(parts.count), ...Array<Field>(empty).fill(null)]);
    }
    copied(values);
  }
}
