import { cubeArrayField, float4ArrayField, vectorField, type Field } from '../db/copy-binary.ts';
import { GptSqlError } from '../errors.ts';

/**
 * A kernel is how a model stores the rows of its weight matrices and computes a dot product
 * between a stored row and an activation vector. It is chosen at load time and recorded in the
 * catalog; the SQL templates take their storage type and dot product from it.
 */
export interface Kernel {
  name: KernelName;
  /** The extension the kernel needs, if any. */
  extension?: string;
  /** Column type of a stored row of `n` values. */
  columnType(n: number): string;
  /** Bytes a stored value takes (the loader keeps rows inline when they fit a page). */
  bytesPerValue: number;
  /** The type whose OID `field` needs (binary COPY of an array names its element type). */
  elementType?: string;
  /** Binary COPY field for a stored row; `elementOid` is the OID of `elementType`. */
  field(values: Float32Array, elementOid?: number): Field;
  /**
   * SQL turning an activation (a float8[] expression) into what `dot` takes. The templates compute
   * it once per position and matrix, never once per stored row.
   */
  prepare(activation: string): string;
  /** SQL for the dot product of a weight row (`row` is its table alias) and a prepared activation, as float8. */
  dot(row: string, prepared: string): string;
  /** SQL for the dot product of two prepared activations (attention's q·k), as float8. */
  dotPrepared(a: string, b: string): string;
  /**
   * An aggregate, over rows, of `weight` times the prepared vector `prepared` of n values, summed in
   * `order`, as float8[] (attention's att @ v). Undefined: the templates sum value by value in SQL.
   */
  weightedSum?(weight: string, prepared: string, n: number, order: string): string;
  /** SQL reading a weight row's stored values as float4[] (the embedding lookup reads wte rows this way). */
  storedArray(row: string): string;
  /** The kernel whose arithmetic attention (q·k, att @ v) uses, when not this one. */
  attention?: Kernel;
}

/** In order of preference for `--kernel auto` (cube is opt-in: see the README's benchmark). */
export const KERNEL_NAMES = ['vector', 'array', 'cube'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

/** Two unnest() calls in the select list zip the arrays about twice as fast as unnest(a, b). */
function arrayDot(a: string, b: string): string {
  return `(SELECT sum(x * y) FROM (SELECT unnest(${a}) AS x, unnest(${b}) AS y) AS pair)`;
}

const ARRAY_KERNEL: Kernel = {
  name: 'array',
  columnType: () => 'float4[]',
  bytesPerValue: 4,
  field: float4ArrayField,
  // float4 * float8 is float8: the sum runs in float8, in index order, as the reference's does.
  prepare: (activation) => activation,
  dot: (row, prepared) => arrayDot(`${row}.values`, prepared),
  dotPrepared: arrayDot,
  storedArray: (row) => `${row}.values`,
};

const KERNELS: Record<KernelName, Kernel> = {
  vector: {
    name: 'vector',
    extension: 'vector',
    columnType: (n) => `vector(${n})`,
    bytesPerValue: 4,
    field: vectorField,
    // pgvector multiplies in float4 and sums in float4: see the tolerances in test/engine.
    prepare: (activation) => `${activation}::vector`,
    dot: (row, prepared) => `inner_product(${row}.values, ${prepared})`,
    dotPrepared: (a, b) => `inner_product(${a}, ${b})`,
    weightedSum: (weight, prepared, n, order) =>
      `sum(${prepared} * array_fill(${weight}, ARRAY[${n}])::vector ORDER BY ${order})::real[]::float8[]`,
    storedArray: (row) => `${row}.values::real[]`,
  },
  array: ARRAY_KERNEL,
  // contrib's cube, which stock PostgreSQL ships: a stored row is a cube[] whose first element is
  // the 1-D point |w|² and whose others are points of at most 100 dimensions (CUBE_MAX_DIM) holding
  // the row's values in order. a·w = (|a|² + |w|² − Σ |a_c − w_c|²) / 2 over the chunks c, each
  // |a_c − w_c| one cube_distance() in C, computed in float8.
  cube: {
    name: 'cube',
    extension: 'cube',
    columnType: () => 'cube[]',
    bytesPerValue: 8,
    elementType: 'cube',
    field: (values, elementOid) => cubeArrayField(values, CUBE_CHUNK, elementOid!),
    prepare: (activation) => cubeChunks(activation),
    dot: (row, prepared) => cubeDot(prepared, `${row}.values`),
    dotPrepared: cubeDot,
    // Head-size vectors (64 values in GPT-2) are short: attention keeps plain float8[] arithmetic.
    attention: ARRAY_KERNEL,
    storedArray: (row) =>
      `(SELECT array_agg(cube_ll_coord(c.w, d)::float4 ORDER BY c.i, d)
        FROM unnest(${row}.values) WITH ORDINALITY AS c(w, i), generate_series(1, cube_dim(c.w)) AS d
        WHERE c.i > 1)`,
  },
};

/** Values per cube: cube's limit of 100 dimensions. */
const CUBE_CHUNK = 100;

/** A float8[] as the cube kernel's cube[]: |x|², then chunks of CUBE_CHUNK values. */
function cubeChunks(x: string): string {
  return `(SELECT ARRAY[cube((SELECT sum(v * v) FROM unnest(${x}) AS v))] || array_agg(cube(${x}[s : s + ${CUBE_CHUNK - 1}]) ORDER BY s)
    FROM generate_series(1, cardinality(${x}), ${CUBE_CHUNK}) AS s)`;
}

/** a·b from two cube[] of the same layout: (|a|² + |b|² − Σ cube_distance²) / 2. */
function cubeDot(a: string, b: string): string {
  return `(SELECT sum(CASE WHEN c.i = 1 THEN cube_ll_coord(c.a, 1) + cube_ll_coord(c.b, 1) ELSE -(cube_distance(c.a, c.b) ^ 2) END) / 2
    FROM unnest(${a}, ${b}) WITH ORDINALITY AS c(a, b, i))`;
}


/** The kernel named `name`. */
export function kernel(name: string): Kernel {
  const found = KERNELS[name as KernelName];
  if (!found) throw new GptSqlError(`unknown kernel "${name}"; choose one of: auto, ${KERNEL_NAMES.join(', ')}`);
  return found;
}

/**
 * Resolves `--kernel` against what the database offers: `auto` picks the fastest available
 * (pgvector, else plain arrays; cube only when asked for); a named kernel whose extension is missing is refused with a
 * message naming the kernels that would work.
 */
export function chooseKernel(requested: string, available: Set<string>): Kernel {
  const usable = KERNEL_NAMES.filter((name) => !KERNELS[name].extension || available.has(KERNELS[name].extension!));
  if (requested === 'auto') return KERNELS[usable[0]];
  const wanted = kernel(requested);
  if (wanted.extension && !available.has(wanted.extension)) {
    throw new GptSqlError(
      `the kernel "${wanted.name}" needs the PostgreSQL extension "${wanted.extension}", which this database ` +
        `does not have; use --kernel ${usable.join(' or --kernel ')} (or --kernel auto)`,
    );
  }
  return wanted;
}
