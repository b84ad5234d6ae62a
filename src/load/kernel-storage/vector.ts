/** How the `vector` kernel stores a row: one pgvector `vector`. */
import { vectorField } from '../../db/copy-binary.ts';
import type { KernelStorage } from './storage.ts';

export const VECTOR_STORAGE: KernelStorage = {
  columns: (n) => [{ name: 'values', type: n ? `vector(${n})` : 'vector' }],
  fields: (values) => [vectorField(values)],
};
