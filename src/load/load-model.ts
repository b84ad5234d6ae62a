import type { Checkpoint } from '../checkpoint/types.ts';
import type { ModelRow } from '../db/catalog-tables.ts';
import { encodeTuple, float4ArrayField, int4Field, type Field } from '../db/copy-binary.ts';
import type { Database } from '../db/database.ts';
import { GptSqlError } from '../errors.ts';
import { chooseKernel, INLINE_BYTES, positionActivationTypeSql, rowParts, type Kernel, type StoredColumn } from '../sql/kernels.ts';
import { quoteIdent } from '../sql/quote.ts';
import { kvCacheTableSql } from './kv-cache-table.ts';
import { schemaForModel } from './model-names.ts';
import { loadTokenizerTables } from './tokenizer-tables.ts';
import { keyColumns, storedVectors, tableTensors, weightTables, type WeightTable } from './weight-tables.ts';

export interface LoadOptions {
  /** The model's name in the catalog (`--as`). */
  name: string;
  /** Where it came from, as the user named it (a directory or a hub id). */
  source: string;
  /** `--kernel`: auto, vector, cube or array. */
  kernel?: string;
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
 * @example
 * const model = await loadModel(db, await openCheckpoint(dir), { name: 'tiny', source: dir });
 */
export async function loadModel(db: Database, checkpoint: Checkpoint, options: LoadOptions): Promise<ModelRow> {
  const schema = schemaForModel(options.name);
  const kernel = chooseKernel(options.kernel ?? 'auto', await db.availableExtensions());
  const staging = `${schema}__loading_${process.pid}`;
  await db.transaction(async () => {
    if (kernel.extension) await db.exec(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(kernel.extension)} SCHEMA public`);
    await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(staging)} CASCADE; CREATE SCHEMA ${quoteIdent(staging)}`);
    await copyWeights(db, checkpoint, staging, kernel, options);
    options.signal?.throwIfAborted();
    await loadTokenizerTables(db, staging, checkpoint.tokenizer);
    await db.exec(kvCacheTableSql(staging, { kernel: kernel.name, n_embd: checkpoint.config.n_embd, n_head: checkpoint.config.n_head }));
    await db.exec(positionActivationTypeSql(staging, kernel));
    await claimSchema(db, schema, options.name);
    await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE; ALTER SCHEMA ${quoteIdent(staging)} RENAME TO ${quoteIdent(schema)}`);
    await recordModel(db, checkpoint, options, schema, kernel);
    options.signal?.throwIfAborted(); // the last chance: after this, COMMIT
  });
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

async function recordModel(db: Database, checkpoint: Checkpoint, options: LoadOptions, schema: string, kernel: Kernel): Promise<void> {
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
    loaded_at: new Date(),
  };
  await db.kysely.deleteFrom('gpt2sql.models').where('name', '=', options.name).execute();
  await db.kysely.insertInto('gpt2sql.models').values(row).execute();
}

/** The OID of a type (an extension's types have different OIDs in every database). */
async function typeOid(db: Database, type: string): Promise<number> {
  const [row] = await db.query<{ oid: number }>('SELECT to_regtype($1)::oid::int8 AS oid', [type]);
  return row.oid;
}

/** The stored columns of a table: the kernel's for matrix rows, one float4[] for the rest. */
function storedColumns(table: WeightTable, kernel: Kernel, width?: number): StoredColumn[] {
  return table.kernelStorage ? kernel.columns(width) : [{ name: 'values', type: 'float4[]' }];
}

function columnDefinitions(table: WeightTable, stored: StoredColumn[]): string {
  const keys = keyColumns(table);
  const columns = [...keys.map((k) => `${k} integer NOT NULL`), ...stored.map((c) => `${c.name} ${c.type} NOT NULL`)];
  const primaryKey = keys.length ? `,\n  PRIMARY KEY (${keys.join(', ')})` : '';
  return `(\n  ${columns.join(',\n  ')}${primaryKey}\n)`;
}

/** Creates each weight table and streams its tensors in with binary COPY. */
async function copyWeights(db: Database, checkpoint: Checkpoint, schema: string, kernel: Kernel, { onProgress, signal }: LoadOptions): Promise<void> {
  const total = checkpoint.tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
  let done = 0;
  const elementOid = kernel.elementType ? await typeOid(db, kernel.elementType) : undefined;
  for (const table of weightTables(checkpoint.tiedLmHead)) {
    const tensors = tableTensors(table, checkpoint.config);
    const shape = checkpoint.tensors.find((t) => t.name === tensors[0])!.shape;
    const width = table.layout === 'columns' ? shape[0] : shape[shape.length - 1];
    const parts = table.layout === 'columns' ? rowParts(kernel, width) : { count: 1, size: width };
    const qualified = `${quoteIdent(schema)}.${quoteIdent(table.table)}`;
    const stored = storedColumns(table, kernel, parts.count * parts.size === width ? parts.size : undefined);
    await db.exec(`CREATE TABLE ${qualified} ${columnDefinitions(table, stored)}`);
    if (table.kernelStorage && parts.size * kernel.bytesPerValue <= INLINE_BYTES) await db.exec(`ALTER TABLE ${qualified} ALTER COLUMN values SET STORAGE PLAIN`);
    async function* tuples(): AsyncGenerator<Uint8Array> {
      for (const [block, name] of tensors.entries()) {
        signal?.throwIfAborted();
        const data = await checkpoint.read(name);
        for (const [key, values] of storedVectors(table.layout, data, shape)) {
          for (let part = 0; part < parts.count; part++) {
            const fields: Field[] = [];
            if (table.perBlock) fields.push(int4Field(block));
            if (key !== undefined) fields.push(int4Field(key));
            if (table.layout === 'columns') fields.push(int4Field(part));
            const slice = values.subarray(part * parts.size, (part + 1) * parts.size);
            fields.push(...(table.kernelStorage ? kernel.fields(slice, elementOid) : [float4ArrayField(slice)]));
            yield encodeTuple(fields);
          }
        }
        done += data.length;
        onProgress?.(done, total, table.table);
      }
    }
    await db.copyBinary(qualified, [...keyColumns(table), ...stored.map((c) => c.name)], tuples(), { freeze: true });
  }
  if (checkpoint.tiedLmHead) {
    await db.exec(`CREATE VIEW ${quoteIdent(schema)}.lm_head AS SELECT * FROM ${quoteIdent(schema)}.wte`);
  }
}
