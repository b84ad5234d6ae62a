import { bufferNeed, type Database } from '../db/database.ts';
import type { ModelRow } from '../db/catalog-tables.ts';

/** Whether a server's shared_buffers keep a model's tables in its memory between steps. */
export interface BufferFit {
  /** The model's tables (its schema's; a sharded model's weights are on its shards), in bytes. */
  modelBytes: number;
  /** Its largest table (GPT-2's wte, or a block matrix of the biggest), in bytes. */
  largestBytes: number;
  /** The server's shared_buffers, in bytes. */
  sharedBuffersBytes: number;
  /** The least shared_buffers that keeps them (bufferNeed in src/db/database.ts). */
  neededBytes: number;
  enough: boolean;
}

/**
 * How `model`'s tables compare with the server's shared_buffers; null on the embedded database,
 * which sizes its buffers to what it holds. When they do not fit, each step reads the weights
 * again from the operating system's cache, copying them into the buffers and out again (a profile
 * of such a step: half its time in the kernel's copies and the buffer table's lookups). On the
 * benchmark machine GPT-2 124M with pgvector took 0.23 s a token with the stock 128 MB, 0.11 to
 * 0.14 with 1 GB (`complete`, 1 and 17 new tokens, twice each).
 *
 * @example
 * const fit = await bufferFit(db, model); // { modelBytes: 678428672, …, sharedBuffersBytes: 134217728, enough: false }
 */
export async function bufferFit(db: Database, model: Pick<ModelRow, 'schema_name'>): Promise<BufferFit | null> {
  const sharedBuffersBytes = await db.sharedBuffers();
  if (sharedBuffersBytes === null) return null;
  const [row] = await db.query<{ total: string | number | null; largest: string | number | null }>(`
    SELECT sum(pg_table_size(c.oid)) AS total, max(pg_table_size(c.oid)) AS largest
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = $1 AND c.relkind = 'r'`, [model.schema_name]);
  const modelBytes = Number(row.total ?? 0);
  const largestBytes = Number(row.largest ?? 0);
  const neededBytes = bufferNeed(modelBytes, largestBytes);
  return { modelBytes, largestBytes, sharedBuffersBytes, neededBytes, enough: sharedBuffersBytes >= neededBytes };
}
