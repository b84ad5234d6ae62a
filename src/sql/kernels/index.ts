/**
 * The kernels, one module each (their arithmetic SQL; their storage is the loader's,
 * src/load/kernel-storage/), and what is derived from the list: the names `--kernel` takes, the
 * choice of `--kernel auto`, the keys/values cache's types and how long rows are cut into parts.
 */
import { GptSqlError } from '../../errors.ts';
import { sql, type Code } from '../sql.ts';
import { ARRAY } from './array.ts';
import { CUBE } from './cube.ts';
import type { Kernel, Operand, ShardedRows } from './kernel.ts';
import { VECTOR } from './vector.ts';

export type { HeadArithmetic, Kernel, Operand, ShardedRows } from './kernel.ts';

/** Every kernel, in order of preference for `--kernel auto`: the fastest first (see the README's benchmark). */
export const KERNELS = [VECTOR, CUBE, ARRAY] as const;

export type KernelName = (typeof KERNELS)[number]['name'];

export const KERNEL_NAMES: readonly KernelName[] = KERNELS.map((known) => known.name);

/** The kernel named `name`. */
export function kernel(name: string): Kernel {
  const found = KERNELS.find((known) => known.name === name);
  if (!found) throw new GptSqlError(`unknown kernel "${name}"; choose one of: auto, ${KERNEL_NAMES.join(', ')}`);
  return found;
}

/**
 * Resolves `--kernel` against the extensions a database offers: `auto` picks the fastest available
 * (pgvector, else cube, else plain arrays), among those that can be sharded when `sharded`; a named
 * kernel whose extension is missing is refused with a message naming the kernels that would work.
 */
export function chooseKernel(requested: string, available: Set<string>, sharded = false): Kernel {
  const usable = KERNELS.filter((known: Kernel) => (!known.extension || available.has(known.extension)) && (!sharded || known.sharded));
  if (requested === 'auto') return usable[0];
  const wanted = kernel(requested);
  if (wanted.extension && !available.has(wanted.extension)) {
    throw new GptSqlError(
      `the kernel "${wanted.name}" needs the PostgreSQL extension "${wanted.extension}", which this database ` +
        `does not have; use --kernel ${usable.map((known) => known.name).join(' or --kernel ')} (or --kernel auto)`,
    );
  }
  if (sharded) shardedRows(wanted);
  return wanted;
}

/** How `kernel` computes on shards; refused for a kernel that cannot be sharded. */
export function shardedRows(kernel: Kernel): ShardedRows {
  if (!kernel.sharded) {
    const can = KERNELS.filter((known: Kernel) => known.sharded).map((known) => known.name);
    throw new GptSqlError(`the kernel "${kernel.name}" cannot be sharded; use --kernel ${can.join(' or --kernel ')} with --shards`);
  }
  return kernel.sharded;
}

/** How the keys/values cache stores a head's key or value: its SQL type, and the SQL that makes one from a float8[]. */
export interface CachedHead {
  type: string;
  prepare(head: Operand): Code;
}

/**
 * The columns k and v of a model's keys/values cache: each head's key and value as attention
 * uses them, so reading the cache converts nothing (measured on PGlite with pgvector at context
 * 512: 0.70 s a step with float8[] cast to vector, 0.64 s without). Keys are in the type of
 * the kernel's q·k; values in the type att @ v takes: the kernel's when it sums prepared values in
 * one aggregate, float8[] when it reads them one column at a time.
 *
 * @example
 * cachedHeads(kernel('vector'), 64); // k and v: vector
 * cachedHeads(kernel('cube'), 64); // k: cube, v: float8[]
 */
export function cachedHeads(kernel: Kernel, headSize: number): { k: CachedHead; v: CachedHead } {
  const heads = kernel.heads(headSize);
  const k = { type: heads.type, prepare: heads.prepare };
  if (!heads.weightedSum) return { k, v: { type: 'float8[]', prepare: (head: Operand) => sql`${head}` } };
  return { k, v: { type: heads.type, prepare: heads.prepare } };
}

/**
 * Stored rows of up to this many bytes are kept inline in the table's pages (STORAGE PLAIN)
 * rather than TOASTed: a dot product then reads the row where it is, instead of fetching it from
 * the TOAST table (measured on PGlite: the wte scan 1.2 s -> 0.46 s for GPT-2 124M; on the server
 * with cube, mlp_c_proj_w's rows of 3072 values took 1.7× the time of mlp_c_fc_w's as many values).
 */
export const INLINE_BYTES = 7600;

/**
 * How a weight matrix's stored rows of `n` values are split so that each part fits inline in a
 * page: `count` parts of `size` values (the last may be shorter). The loader stores them so and the
 * SQL reads them so: a dot product with the row is the sum of the parts' dot products.
 *
 * @example
 * rowParts(kernel('cube'), 3072); // { count: 4, size: 768 }: 8 bytes a value
 * rowParts(kernel('vector'), 768); // { count: 1, size: 768 }
 */
export function rowParts(kernel: Kernel, n: number): { count: number; size: number } {
  const count = Math.ceil((n * kernel.bytesPerValue) / INLINE_BYTES);
  return { count, size: Math.ceil(n / count) };
}
