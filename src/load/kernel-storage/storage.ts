/**
 * What a kernel is to the loader: how a stored weight row is laid out (its columns and their
 * binary COPY fields). Each kernel's is a module of this folder, listed in index.ts; its
 * arithmetic is the SQL's (src/sql/kernels/).
 */
import type { Field } from '../../db/copy-binary.ts';

/** A column of a stored weight row, after its key columns. */
export interface StoredColumn {
  name: string;
  type: string;
}

/** How a kernel stores the rows of a weight matrix. */
export interface KernelStorage {
  /**
   * Columns of a stored row of `n` values (undefined: rows of different lengths): `values`, and
   * for cube its squared norm `norm` first.
   */
  columns(n?: number): StoredColumn[];
  /** The type whose OID `fields` needs (binary COPY of an array names its element type). */
  elementType?: string;
  /** Binary COPY fields of a stored row, one per column; `elementOid` is the OID of `elementType`. */
  fields(values: Float32Array, elementOid?: number): Field[];
  /** How rows are stored on shards (see ShardedRows in src/sql/kernels/kernel.ts); present when the kernel's arithmetic can be sharded. */
  sharded?: ShardedStorage;
}

/** A sharded model's matrix rows on its shards. */
export interface ShardedStorage {
  /** The stored columns of a row (or part of a row) of `n` values. */
  columns(n: number): StoredColumn[];
  /** Binary COPY fields of a stored row, one per column. */
  fields(values: Float32Array): Field[];
}
