import { float4ArrayField, vectorField, type Field } from '../db/copy-binary.ts';
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
  /** Binary COPY field for a stored row. */
  field(values: Float32Array): Field;
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
}

export const KERNEL_NAMES = ['vector', 'array'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

const KERNELS: Record<KernelName, Kernel> = {
  vector: {
    name: 'vector',
    extension: 'vector',
    columnType: (n) => `vector(${n})`,
    field: vectorField,
    // pgvector multiplies in float4 and sums in float4: see the tolerances in test/engine.
    prepare: (activation) => `${activation}::vector`,
    dot: (row, prepared) => `inner_product(${row}.values, ${prepared})`,
    dotPrepared: (a, b) => `inner_product(${a}, ${b})`,
    weightedSum: (weight, prepared, n, order) =>
      `sum(${prepared} * array_fill(${weight}, ARRAY[${n}])::vector ORDER BY ${order})::real[]::float8[]`,
    storedArray: (row) => `${row}.values::real[]`,
  },
  array: {
    name: 'array',
    columnType: () => 'float4[]',
    field: float4ArrayField,
    // float4 * float8 is float8: the sum runs in float8, in index order, as the reference's does.
    prepare: (activation) => activation,
    dot: (row, prepared) => arrayDot(`${row}.values`, prepared),
    dotPrepared: arrayDot,
    storedArray: (row) => `${row}.values`,
  },
};

/** Two unnest() calls in the select list zip the arrays about twice as fast as unnest(a, b). */
function arrayDot(a: string, b: string): string {
  return `(SELECT sum(x * y) FROM (SELECT unnest(${a}) AS x, unnest(${b}) AS y) AS pair)`;
}

/** The kernel named `name`. */
export function kernel(name: string): Kernel {
  const found = KERNELS[name as KernelName];
  if (!found) throw new GptSqlError(`unknown kernel "${name}"; choose one of: auto, ${KERNEL_NAMES.join(', ')}`);
  return found;
}

/**
 * Resolves `--kernel` against what the database offers: `auto` picks the fastest available
 * (pgvector, else plain arrays); a named kernel whose extension is missing is refused with a
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
