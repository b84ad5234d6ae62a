import { readFileSync } from 'node:fs';

/**
 * An independent, minimal reading of a safetensors file for tests: the header and each tensor's
 * values decoded straight from the bytes with textbook formulas, without src/checkpoint.
 */
export function readSafetensorsBytes(path: string): Map<string, { dtype: string; shape: number[]; values: Float64Array }> {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + headerLength;
  const out = new Map<string, { dtype: string; shape: number[]; values: Float64Array }>();
  for (const [key, info] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    const data = bytes.subarray(base + info.data_offsets[0], base + info.data_offsets[1]);
    out.set(key, { dtype: info.dtype, shape: info.shape, values: decode(info.dtype, data) });
  }
  return out;
}

function decode(dtype: string, data: Buffer): Float64Array {
  const width = dtype === 'F32' ? 4 : 2;
  const values = new Float64Array(data.length / width);
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'F32') values[i] = data.readFloatLE(i * 4);
    else if (dtype === 'F16') values[i] = halfToNumber(data.readUInt16LE(i * 2));
    else if (dtype === 'BF16') values[i] = bfloatToNumber(data.readUInt16LE(i * 2));
    else throw new Error(`test reader: unexpected dtype ${dtype}`);
  }
  return values;
}

/** IEEE 754 half precision: sign, 5 exponent bits (bias 15), 10 fraction bits. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** bfloat16: sign, 8 exponent bits (bias 127), 7 fraction bits. */
function bfloatToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 7) & 0xff;
  const fraction = bits & 0x7f;
  if (exponent === 0) return sign * 2 ** -126 * (fraction / 128);
  if (exponent === 255) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 127) * (1 + fraction / 128);
}
