// Hand-made checkpoints for the reader tests, written byte by byte without src/checkpoint.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RawTensor {
  dtype: string;
  shape: number[];
  data: Buffer;
}

/** A safetensors file: u64 LE header length, JSON header, then the tensors' bytes in the given order. */
export function safetensorsBytes(tensors: Record<string, RawTensor>, metadata: Record<string, string> = { format: 'pt' }): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [key, { dtype, shape, data }] of Object.entries(tensors)) {
    header[key] = { dtype, shape, data_offsets: [offset, offset + data.length] };
    offset += data.length;
  }
  return withHeader(JSON.stringify(header), Object.values(tensors).map((tensor) => tensor.data));
}

/** Any header text and data, for malformed files. */
export function withHeader(headerJson: string, data: Buffer[] = []): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(headerJson)));
  return Buffer.concat([length, Buffer.from(headerJson), ...data]);
}

export function f32Bytes(values: number[]): Buffer {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes;
}

export function u16Bytes(bits: number[]): Buffer {
  const bytes = Buffer.alloc(bits.length * 2);
  bits.forEach((value, i) => bytes.writeUInt16LE(value, i * 2));
  return bytes;
}

export const TINY = { n_layer: 2, n_head: 2, n_embd: 4, n_ctx: 3, vocab_size: 6 };

/** GPT-2's parameter shapes for TINY, spelled out from the GPT-2 / Hugging Face Conv1D layout. */
export function tinyShapes(): Record<string, number[]> {
  const shapes: Record<string, number[]> = { 'wte.weight': [6, 4], 'wpe.weight': [3, 4] };
  for (const i of [0, 1]) {
    Object.assign(shapes, {
      [`h.${i}.ln_1.weight`]: [4],
      [`h.${i}.ln_1.bias`]: [4],
      [`h.${i}.attn.c_attn.weight`]: [4, 12],
      [`h.${i}.attn.c_attn.bias`]: [12],
      [`h.${i}.attn.c_proj.weight`]: [4, 4],
      [`h.${i}.attn.c_proj.bias`]: [4],
      [`h.${i}.ln_2.weight`]: [4],
      [`h.${i}.ln_2.bias`]: [4],
      [`h.${i}.mlp.c_fc.weight`]: [4, 16],
      [`h.${i}.mlp.c_fc.bias`]: [16],
      [`h.${i}.mlp.c_proj.weight`]: [16, 4],
      [`h.${i}.mlp.c_proj.bias`]: [4],
    });
  }
  return { ...shapes, 'ln_f.weight': [4], 'ln_f.bias': [4] };
}

/** Distinct, exactly representable values per tensor: tensor k holds k + i/64. */
export function tinyTensors(): Record<string, RawTensor> {
  return Object.fromEntries(
    Object.entries(tinyShapes()).map(([name, shape], k) => {
      const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => k + i / 64);
      return [name, { dtype: 'F32', shape, data: f32Bytes(values) }];
    }),
  );
}

export const TINY_VOCAB = { a: 0, b: 1, c: 2, ab: 3, abc: 4, '<|endoftext|>': 5 };
export const TINY_MERGES = '#version: 0.2\na b\nab c\n';

/** Writes config.json, the given safetensors files and vocab.json + merges.txt. */
export async function writeCheckpointDir(
  dir: string,
  files: Record<string, Buffer>,
  config: Record<string, unknown> = { model_type: 'gpt2', ...TINY, n_positions: TINY.n_ctx },
): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  await writeFile(join(dir, 'vocab.json'), JSON.stringify(TINY_VOCAB));
  await writeFile(join(dir, 'merges.txt'), TINY_MERGES);
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  return dir;
}
