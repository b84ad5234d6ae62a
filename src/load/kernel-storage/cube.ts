/**
 * How the `cube` kernel stores a row: its squared norm |w|² (float8), then its values as cubes of
 * CUBE_CHUNK values, in one cube[] (on shards: one column each, c1, c2, …; see ShardedRows in
 * src/sql/kernels/kernel.ts for why).
 */
import { cubeArrayField, cubeField, float8Field } from '../../db/copy-binary.ts';
import { CUBE_CHUNK, cubeChunkColumns } from '../../sql/kernels/cube.ts';
import type { KernelStorage } from './storage.ts';

/** |x|², summed in float64 in index order. */
function squaredNorm(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v * v;
  return sum;
}

export const CUBE_STORAGE: KernelStorage = {
  columns: () => [{ name: 'norm', type: 'float8' }, { name: 'values', type: 'cube[]' }],
  elementType: 'cube',
  fields: (values, elementOid) => [float8Field(squaredNorm(values)), cubeArrayField(values, CUBE_CHUNK, elementOid!)],
  sharded: {
    columns: (n) => [{ name: 'norm', type: 'float8' }, ...cubeChunkColumns(n).map((name) => ({ name, type: 'cube' }))],
    fields: (values) => [
      float8Field(squaredNorm(values)),
      ...cubeChunkColumns(values.length).map((_, c) => cubeField(values.subarray(c * CUBE_CHUNK, (c + 1) * CUBE_CHUNK))),
    ],
  },
};
