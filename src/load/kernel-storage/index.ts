/**
 * Each kernel's storage, by its name (src/sql/kernels/ lists the kernels): a kernel without its
 * line here does not compile.
 */
import { shardedRows, type Kernel, type KernelName } from '../../sql/kernels/index.ts';
import { quoteIdent } from '../../sql/quote.ts';
import { ARRAY_STORAGE } from './array.ts';
import { CUBE_STORAGE } from './cube.ts';
import type { KernelStorage, ShardedStorage } from './storage.ts';
import { VECTOR_STORAGE } from './vector.ts';

export type { KernelStorage, ShardedStorage, StoredColumn } from './storage.ts';
export { FLOAT4_ARRAY } from './array.ts';

const STORAGE: Record<KernelName, KernelStorage> = {
  vector: VECTOR_STORAGE,
  cube: CUBE_STORAGE,
  array: ARRAY_STORAGE,
};

/** How `kernel` stores the rows of a weight matrix. */
export function kernelStorage(kernel: Kernel): KernelStorage {
  return STORAGE[kernel.name as KernelName];
}

/** How `kernel` stores rows on shards; refused, as its arithmetic is, for a kernel that cannot be sharded. */
export function shardedStorage(kernel: Kernel): ShardedStorage {
  shardedRows(kernel);
  return kernelStorage(kernel).sharded!;
}

/**
 * CREATE TYPE for the prepared activation of one position (and part of a stored row, 0 when rows
 * are whole) in a model's schema: linear.sql, linear_parts.sql and logits.sql pass every
 * position's as one array of these, computed once before the scan of the stored rows. An
 * uncorrelated value is what PostgreSQL hands to parallel workers; unnest() then gives each
 * position's activation without walking the others (an element of a 2-D array of cubes is found
 * by walking every element before it).
 */
export function positionActivationTypeSql(schema: string, kernel: Kernel): string {
  return `CREATE TYPE ${quoteIdent(schema)}.position_activation AS (t integer, part integer, x ${kernel.preparedType})`;
}
