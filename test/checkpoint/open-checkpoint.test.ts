import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpt2Tensors } from '../../src/checkpoint/gpt2-tensors.ts';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import type { Checkpoint } from '../../src/checkpoint/types.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { readSafetensorsBytes } from '../helpers/safetensors-bytes.ts';
import { f32Bytes, safetensorsBytes, TINY, tinyShapes, tinyTensors, writeCheckpointDir, type RawTensor } from './fixtures.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'gpt2sql-open-'));

async function withCheckpoint<T>(dir: string, use: (checkpoint: Checkpoint) => Promise<T>): Promise<T> {
  const checkpoint = await openCheckpoint(dir);
  try {
    return await use(checkpoint);
  } finally {
    await checkpoint.close();
  }
}

/** Every tensor read through the checkpoint has exactly the bytes the fixture wrote. */
async function expectTensorsAsWritten(checkpoint: Checkpoint, tensors: Record<string, RawTensor>): Promise<void> {
  for (const [name, { data }] of Object.entries(tensors)) {
    const values = await checkpoint.read(name);
    expect(Buffer.from(values.buffer, values.byteOffset, values.byteLength).equals(data), name).toBe(true);
  }
}

/** Index of the first value that differs (NaN equal to NaN), or -1. */
function firstDifference(actual: Float32Array, expected: Float64Array): number {
  if (actual.length !== expected.length) return 0;
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i]) && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) return i;
  }
  return -1;
}

const prefixed = (tensors: Record<string, RawTensor>) =>
  Object.fromEntries(Object.entries(tensors).map(([name, tensor]) => [`transformer.${name}`, tensor]));

describe('openCheckpoint', () => {
  it('opens a checkpoint with h.0… keys: config, tokenizer, tensors in state-dict order, tied head', async () => {
    const tensors = tinyTensors();
    const dir = await writeCheckpointDir(await tempDir(), { 'model.safetensors': safetensorsBytes(tensors) });
    await withCheckpoint(dir, async (checkpoint) => {
      expect(checkpoint.config).toEqual({ model_type: 'gpt2', ...TINY, layer_norm_epsilon: 1e-5 });
      expect(checkpoint.tokenizer.merges).toEqual([['a', 'b'], ['ab', 'c']]);
      expect(checkpoint.tensors).toEqual(Object.entries(tinyShapes()).map(([name, shape]) => ({ name, shape, dtype: 'F32' })));
      expect(checkpoint.tiedLmHead).toBe(true);
      await expectTensorsAsWritten(checkpoint, tensors);
      await expect(checkpoint.read('h.9.ln_1.weight')).rejects.toThrow(/no tensor h.9.ln_1.weight/);
    });
  });

  it('opens transformer.… keys with an explicit lm_head, ignoring the attn.bias buffers', async () => {
    const tensors = tinyTensors();
    const buffers = {
      'transformer.h.0.attn.bias': { dtype: 'BOOL', shape: [1, 1, 3, 3], data: Buffer.from([1, 0, 0, 1, 1, 0, 1, 1, 1]) },
      'transformer.h.0.attn.masked_bias': { dtype: 'F32', shape: [], data: f32Bytes([-1e4]) },
    };
    const file = safetensorsBytes({ ...prefixed(tensors), ...buffers, 'lm_head.weight': tensors['wte.weight'] });
    const dir = await writeCheckpointDir(await tempDir(), { 'model.safetensors': file });
    await withCheckpoint(dir, async (checkpoint) => {
      expect(checkpoint.tensors.map((tensor) => tensor.name)).toEqual([...Object.keys(tinyShapes()), 'lm_head.weight']);
      expect(checkpoint.tiedLmHead).toBe(true);
      await expectTensorsAsWritten(checkpoint, { ...tensors, 'lm_head.weight': tensors['wte.weight'] });
    });
  });

  it('sees an untied head', async () => {
    const tensors = tinyTensors();
    const head = { dtype: 'F32', shape: [6, 4], data: f32Bytes(Array.from({ length: 24 }, (_, i) => -i)) };
    const dir = await writeCheckpointDir(await tempDir(), { 'model.safetensors': safetensorsBytes({ ...tensors, 'lm_head.weight': head }) });
    await withCheckpoint(dir, async (checkpoint) => {
      expect(checkpoint.tiedLmHead).toBe(false);
      await expectTensorsAsWritten(checkpoint, { 'lm_head.weight': head });
    });
  });

  it('opens a sharded checkpoint through model.safetensors.index.json', async () => {
    const tensors = tinyTensors();
    const names = Object.keys(tensors);
    const [first, second] = [names.slice(0, 10), names.slice(10)];
    const pick = (keys: string[]) => Object.fromEntries(keys.map((key) => [key, tensors[key]]));
    const weightMap = Object.fromEntries(names.map((name, i) => [name, i < 10 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
    const dir = await writeCheckpointDir(await tempDir(), {
      'model-00001-of-00002.safetensors': safetensorsBytes(pick(first)),
      'model-00002-of-00002.safetensors': safetensorsBytes(pick(second)),
      'model.safetensors.index.json': Buffer.from(JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap })),
    });
    await withCheckpoint(dir, (checkpoint) => expectTensorsAsWritten(checkpoint, tensors));
  });

  it('reports every missing tensor, wrong shape and unreadable dtype', async () => {
    const tensors = tinyTensors();
    delete tensors['h.1.mlp.c_fc.bias'];
    tensors['h.0.attn.c_attn.weight'] = { dtype: 'F32', shape: [4, 8], data: f32Bytes(Array(32).fill(0)) };
    tensors['ln_f.bias'] = { dtype: 'F64', shape: [4], data: Buffer.alloc(32) };
    const dir = await writeCheckpointDir(await tempDir(), { 'model.safetensors': safetensorsBytes(tensors) });
    const error = await openCheckpoint(dir).catch((caught: Error) => caught);
    expect((error as Error).message).toMatch(/^the weights in .* do not match its config.json: /);
    expect((error as Error).message).toMatch(/h.1.mlp.c_fc.bias is missing/);
    expect((error as Error).message).toMatch(/h.0.attn.c_attn.weight has shape \[4,8\], config.json implies \[4,12\]/);
    expect((error as Error).message).toMatch(/ln_f.bias has dtype F64/);
  });

  it('refuses a tensor stored under both key layouts', async () => {
    const tensors = tinyTensors();
    const file = safetensorsBytes({ ...tensors, 'transformer.wte.weight': tensors['wte.weight'] });
    const dir = await writeCheckpointDir(await tempDir(), { 'model.safetensors': file });
    await expect(openCheckpoint(dir)).rejects.toThrow(/^tensor wte.weight appears twice.*transformer.wte.weight\); keep one of them$/);
  });

  it('explains a directory without safetensors weights, and a tokenizer larger than vocab_size', async () => {
    const dir = await writeCheckpointDir(await tempDir(), { 'pytorch_model.bin': Buffer.from('pickle') });
    await expect(openCheckpoint(dir)).rejects.toThrow(/^no model.safetensors.*; it has pytorch_model.bin: convert it/);
    await rm(join(dir, 'pytorch_model.bin'));
    await writeFile(join(dir, 'vocab.json'), JSON.stringify({ a: 0, b: 6 }));
    await expect(openCheckpoint(dir)).rejects.toThrow(/^the tokenizer in .* has token id 6 but config.json says vocab_size is 6; use the tokenizer files/);
  });

  it('opens generated checkpoints in every dtype, values as an independent reader decodes them', async () => {
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const dir = await tinyCheckpoint({ dtype, prefix: dtype === 'F16', withBuffers: dtype === 'BF16' });
      const expected = readSafetensorsBytes(join(dir, 'model.safetensors'));
      await withCheckpoint(dir, async (checkpoint) => {
        expect(checkpoint.tensors.length).toBe(2 + 12 * 2 + 2);
        for (const { name, dtype: stored } of checkpoint.tensors) {
          expect(stored).toBe(dtype);
          const reference = expected.get(dtype === 'F16' ? `transformer.${name}` : name)!.values;
          expect(firstDifference(await checkpoint.read(name), reference), `${dtype} ${name}`).toBe(-1);
        }
      });
    }
  });
});

describe('gpt2Tensors', () => {
  it('counts the 124,439,808 parameters of GPT-2 small', () => {
    const config = { model_type: 'gpt2', n_layer: 12, n_head: 12, n_embd: 768, n_ctx: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5 } as const;
    const count = gpt2Tensors(config).reduce((sum, { shape }) => sum + shape.reduce((a, b) => a * b, 1), 0);
    expect(count).toBe(124_439_808);
  });
});
