/** How the `array` kernel stores a row: one float4[], also on shards. */
import { float4ArrayField } from '../../db/copy-binary.ts';
import type { KernelStorage, ShardedStorage } from './storage.ts';

/** A row as one float4[]: the array kernel's, and every kernel's for the tables no dot product reads (biases, gains, wpe). */
export const FLOAT4_ARRAY: ShardedStorage = {
  columns: () => [{ name: 'values', type: 'float4[]' }],
  fields: (values) => [float4ArrayField(values)],
};

export const ARRAY_STORAGE: KernelStorage = { ...FLOAT4_ARRAY, sharded: FLOAT4_ARRAY };
