/**
 * Every kernel (src/sql/kernels/) has its storage (src/load/kernel-storage/): one stored column
 * set and COPY field per column, and a sharded storage exactly when its arithmetic can be sharded.
 */
import { describe, expect, it } from 'vitest';
import { kernelStorage, shardedStorage } from '../../src/load/kernel-storage/index.ts';
import { chooseKernel, KERNEL_NAMES, KERNELS, kernel } from '../../src/sql/kernels/index.ts';

describe('kernel storage', () => {
  it.each(KERNEL_NAMES)('%s: as many COPY fields as stored columns, sharded or not', (name) => {
    const chosen = kernel(name);
    const storage = kernelStorage(chosen);
    const values = Float32Array.from({ length: 250 }, (_, i) => i / 7);
    expect(storage.fields(values, 1).length).toBe(storage.columns(values.length).length);
    expect(storage.sharded !== undefined).toBe(chosen.sharded !== undefined);
    if (chosen.sharded) expect(shardedStorage(chosen).fields(values).length).toBe(shardedStorage(chosen).columns(values.length).length);
    else expect(() => shardedStorage(chosen)).toThrow(/cannot be sharded; use --kernel cube or --kernel array with --shards/);
  });

  it('chooses the fastest kernel the database has, among those that can be sharded when sharding', () => {
    expect(KERNELS.map((known) => known.name)).toEqual(['vector', 'cube', 'array']);
    expect(chooseKernel('auto', new Set(['vector', 'cube'])).name).toBe('vector');
    expect(chooseKernel('auto', new Set(['vector', 'cube']), true).name).toBe('cube');
    expect(chooseKernel('auto', new Set(), true).name).toBe('array');
    expect(() => chooseKernel('vector', new Set(['vector']), true)).toThrow(/the kernel "vector" cannot be sharded/);
    expect(() => chooseKernel('cube', new Set(), true)).toThrow(/needs the PostgreSQL extension "cube".*use --kernel array \(or --kernel auto\)/);
    expect(() => chooseKernel('float', new Set())).toThrow(/unknown kernel "float"; choose one of: auto, vector, cube, array/);
  });
});
