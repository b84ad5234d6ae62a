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
}

export const KERNEL_NAMES = ['vector', 'array'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

const KERNELS: Record<KernelName, Kernel> = {
  vector: {
    name: 'vector',
    extension: 'vector',
    columnType: (n) => `vector(${n})`,
    field: vectorField,
  },
  array: {
    name: 'array',
    columnType: () => 'float4[]',
    field: float4ArrayField,
  },
};

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
