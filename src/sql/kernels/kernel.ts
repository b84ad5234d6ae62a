/**
 * What a kernel is to the SQL: how a dot product between a stored weight row and an activation
 * is computed, and attention's arithmetic on heads. Each kernel is a module of this folder
 * (vector.ts, cube.ts, array.ts), listed in index.ts; how it stores its rows (columns, COPY
 * fields) is the loader's (src/load/kernel-storage/).
 */
import type { Code, Fill } from '../sql.ts';

/** What the kernels' SQL takes: a part of a statement, or code (a table alias, a column). */
export type Operand = Fill | string;

/**
 * A kernel computes dot products between a model's stored weight rows and activation vectors.
 * It is chosen at load time and recorded in the catalog; the SQL templates take their arithmetic
 * from it.
 */
export interface Kernel {
  name: string;
  /** What it computes with, for `load --kernel`'s help: "pgvector", "plain float4[]". */
  summary: string;
  /** The extension the kernel needs, if any. */
  extension?: string;
  /**
   * Bytes a stored value takes: how many values a page holds, so how a long row is cut into parts
   * (rowParts in index.ts) and how large a scan is (workers.ts).
   */
  bytesPerValue: number;
  /**
   * What a scan's dot products cost per stored value and position, in nanoseconds, measured on a
   * native PostgreSQL server (the README's benchmark machine: a bare scan of 3072 rows of 768
   * values, reading included): what decides which scans are worth parallel workers (workers.ts).
   */
  nanosecondsPerValue: number;
  /**
   * SQL turning an activation (a float8[] expression) into what `dot` takes, of type
   * `preparedType`. The templates compute it once per position and matrix, never once per stored
   * row, and hand the prepared activations of every position to the scan of the stored rows as
   * one array of the model's position_activation (a type the loader creates).
   */
  prepare(activation: Operand): Code;
  /** The SQL type `prepare` returns. */
  preparedType: string;
  /**
   * SQL for the dot product, as float8, of a stored row of `n` values (`row` is its table alias)
   * and a prepared activation. An expression, never a subquery: PostgreSQL computes it in the
   * parallel workers that scan the stored rows, and runs no part of a plan that holds a
   * correlated subquery there.
   */
  dot(row: string, prepared: Operand, n: number): Code;
  /** SQL reading a weight row's stored values as float4[] (the embedding lookup reads wte rows this way). */
  storedArray(row: string): Code;
  /** The arithmetic of attention's heads (q·k, att @ v) for heads of `headSize` values. */
  heads(headSize: number): HeadArithmetic;
  /** The dot products of a sharded model (`load --shards`); absent: the kernel cannot be sharded. */
  sharded?: ShardedRows;
}

/**
 * The dot product each shard of a sharded model computes for its matrix rows. The coordinator
 * sends a shard one statement per matrix and position, which the shard answers with one sum per
 * output column: postgres_fdw sends it only if every function and type in it may be sent, built in
 * or of an extension in the foreign server's `extensions` option (cube). A cube[] is neither (an
 * extension's array type is no member of the extension): a statement that read a cube[] column or
 * parameter would bring every row back to the coordinator instead. So the shards store no cube[],
 * and the activation travels as float8[]:
 * - cube: a row is its squared norm and one cube per chunk of CUBE_CHUNK values (c1, c2, …); the
 *   shard cuts the activation's chunks with cube(x[a:b]); the coordinator sends |x|² (`norms`);
 * - array: float4[] as unsharded, and the dot product written out term by term, w[1] * x[1] +
 *   w[2] * x[2] + …: the float8 sum of gpt2sql.dot in the same order (that function is no
 *   extension's, so it cannot be sent).
 * The arithmetic is the kernel's own, value for value: a sharded model gives the same logits.
 */
export interface ShardedRows {
  /**
   * SQL for what each position sends besides its activation x: float8[] `norms`, |x_p|² of each of
   * the `count` parts of `size` values (cube); undefined when the dot product needs none.
   */
  norms?(x: Operand, parts: { count: number; size: number }): Code;
  /**
   * SQL for the dot product, as float8, of the stored row `row` (a part of `n` values, whose
   * number is `part`: SQL, or 0 for whole rows) and the slice of `position`.x where that part's
   * values are, with `position`.norms.
   */
  dot(row: string, position: string, n: number, part: Operand): Code;
  /** SQL reading a stored row of `n` values as float4[] (the embedding lookup). */
  storedArray(row: string, n: number): Code;
}

/**
 * Attention's arithmetic on head-size vectors (64 values in every GPT-2): q·k between a query and
 * each key, and att @ v, the values summed with the attention weights.
 */
export interface HeadArithmetic {
  /** The name the generated SQL's comments give it. */
  name: string;
  /** The SQL type `prepare` returns (the keys/values cache stores heads in it). */
  type: string;
  /** SQL turning a head's query or key (float8[]) into what `dot` takes. */
  prepare(head: Operand): Code;
  /**
   * The condition under which a component of a head's value (a float8) counts as 0, where
   * `weightedSum` cannot take it as it is. c_attn's output holds its values so (the linear makes
   * them so, src/sql/forward.ts): the cache and attention take them with `prepare`, as they are.
   */
  negligibleValue?(component: Operand): Code;
  /** SQL for q·k of two prepared vectors, as float8. */
  dot(a: Operand, b: Operand): Code;
  /**
   * att @ v as an aggregate over rows of `weight` and the prepared value `prepared` of n values,
   * summed in `order`, as float8[]. The values are prepared with `prepare`.
   */
  weightedSum?(weight: Operand, prepared: Operand, n: number, order: Operand): Code;
  /**
   * att @ v one output value at a time: SQL for Σ_p weights[p] · values[p][column], with `weights`
   * the float8[] of attention weights in place order and `values` the float8[][] of the values.
   * The values are left as float8[].
   */
  columnDot?(weights: Operand, values: Operand, column: Operand): Code;
}
