// Streams tensors into a safetensors file, so a full-size checkpoint never sits in memory.
import { open } from 'node:fs/promises';
import type { Dtype } from './types.ts';

/** A tensor to write; `fill(start, out)` puts elements [start, start + out.length) into `out`. */
export interface TensorToWrite {
  key: string;
  dtype: Dtype;
  shape: number[];
  fill(start: number, out: Float32Array): void;
}

const BYTES: Record<Dtype, number> = { F32: 4, F16: 2, BF16: 2 };
const CHUNK_ELEMENTS = 1 << 20;

/**
 * Writes a safetensors file: header in the given tensor order, data in the same order.
 *
 * @example
 * await writeSafetensors('model.safetensors', [
 *   { key: 'ln_f.bias', dtype: 'F32', shape: [768], fill: (start, out) => out.fill(0) },
 * ]);
 */
export async function writeSafetensors(path: string, tensors: TensorToWrite[], metadata = { format: 'pt' }): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.write(headerBytes(tensors, metadata));
    for (const tensor of tensors) {
      const count = elementCount(tensor.shape);
      const chunk = new Float32Array(Math.min(count, CHUNK_ELEMENTS));
      for (let start = 0; start < count; start += chunk.length) {
        const values = chunk.subarray(0, Math.min(chunk.length, count - start));
        tensor.fill(start, values);
        await handle.write(encode(values, tensor.dtype));
      }
    }
  } finally {
    await handle.close();
  }
}

function headerBytes(tensors: TensorToWrite[], metadata: Record<string, string>): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const { key, dtype, shape } of tensors) {
    const size = elementCount(shape) * BYTES[dtype];
    header[key] = { dtype, shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // the format pads the header to 8 bytes
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([length, Buffer.from(json)]);
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function encode(values: Float32Array, dtype: Dtype): Buffer {
  if (dtype === 'F32') return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const bits = new Uint16Array(values.length);
  const encodeOne = dtype === 'F16' ? f16Bits : bf16Bits;
  for (let i = 0; i < values.length; i++) bits[i] = encodeOne(values[i]);
  return Buffer.from(bits.buffer);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The upper 16 bits of the float32, rounded to nearest even. */
function bf16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  if (Number.isNaN(value)) return (bits >>> 16) | 0x40;
  return (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

/** Nearest binary16, ties to even; overflow becomes infinity, tiny values subnormals or zero. */
function f16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent === 128 + 15) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // infinity, NaN
  if (exponent >= 31) return sign | 0x7c00;
  if (exponent <= 0) return sign | roundShift(mantissa | 0x800000, 14 - exponent); // subnormal in units of 2^-24
  return sign | roundShift((exponent << 23) | mantissa, 13); // a carry out of the mantissa bumps the exponent
}

/** x / 2^shift rounded to nearest, ties to even. */
function roundShift(x: number, shift: number): number {
  if (shift > 24) return 0;
  const kept = x >>> shift;
  const rest = x - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  return rest > half || (rest === half && kept % 2 === 1) ? kept + 1 : kept;
}
