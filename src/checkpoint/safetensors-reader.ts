// safetensors format: [u64 LE header length N][N bytes of JSON header][tensor data].
// The header maps tensor names to {dtype, shape, data_offsets: [begin, end]}, offsets relative
// to the start of the data. Tensors are read one at a time by byte range: GPT-2 xl is 6 GB.
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { GptSqlError } from '../errors.ts';
import { unreadable } from './file-errors.ts';
import type { Dtype } from './types.ts';

/** One tensor entry of a safetensors header, with absolute file offsets. */
export interface SafetensorsEntry {
  /** The key as stored in the file, e.g. `transformer.h.0.attn.c_attn.weight`. */
  key: string;
  /** As stored: any safetensors dtype (`F32`, `BOOL`, `I64`, …); only F32, F16 and BF16 can be read. */
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** An open safetensors file. */
export interface SafetensorsFile {
  path: string;
  entries: Map<string, SafetensorsEntry>;
  /** Reads a tensor's raw bytes. */
  readBytes(key: string): Promise<Buffer>;
  /** Reads a tensor decoded to float32 (F32, F16 or BF16). */
  read(key: string): Promise<Float32Array>;
  close(): Promise<void>;
}

const MAX_HEADER_BYTES = 100_000_000; // the limit the reference implementation uses

/** Bytes per element of every dtype the safetensors format defines. */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};

export const READABLE_DTYPES: readonly Dtype[] = ['F32', 'F16', 'BF16'];

/**
 * Opens a safetensors file and parses its header; tensor data stays on disk until read.
 *
 * @example
 * const file = await openSafetensors('gpt2/model.safetensors');
 * const wte = await file.read('wte.weight'); // Float32Array of V*C values
 * await file.close();
 */
export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw unreadable(path, error);
  });
  const file: OpenFile = { handle, path, realPath: await realpath(path) };
  try {
    const entries = await readHeader(file);
    const entryOf = (key: string) => {
      const entry = entries.get(key);
      if (!entry) throw new GptSqlError(`${path} has no tensor named ${key}; name one its header lists`);
      return entry;
    };
    return {
      path,
      entries,
      readBytes: async (key) => readRange(file, entryOf(key)),
      read: async (key) => {
        const entry = entryOf(key);
        return decodeTensor(entry, await readRange(file, entry));
      },
      close: () => file.handle.close(),
    };
  } catch (error) {
    await file.handle.close();
    throw error;
  }
}

/** An open file; `realPath` differs from `path` when it links into the Hugging Face cache. */
interface OpenFile {
  handle: FileHandle;
  path: string;
  realPath: string;
}

async function readHeader(file: OpenFile): Promise<Map<string, SafetensorsEntry>> {
  const fileSize = (await file.handle.stat()).size;
  const bad = (what: string) =>
    new GptSqlError(`${file.path} is not a valid safetensors file: ${what}; download or convert it again`);
  if (fileSize < 8) throw truncated(file, 8, fileSize);
  const headerLength = Number((await readExactly(file, 0, 8)).readBigUInt64LE(0));
  if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) throw bad(`header length ${headerLength} is out of range`);
  if (8 + headerLength > fileSize) throw truncated(file, 8 + headerLength, fileSize);
  let header: unknown;
  try {
    header = JSON.parse((await readExactly(file, 8, headerLength)).toString('utf8'));
  } catch {
    throw bad('its header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('its header is not a JSON object');
  const dataStart = 8 + headerLength;
  const entries = new Map<string, SafetensorsEntry>();
  for (const [key, value] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    const entry = parseEntry(key, value, dataStart);
    if (!entry) throw bad(`tensor ${key} has a malformed header entry`);
    entries.set(key, entry);
  }
  const dataEnd = [...entries.values()].reduce((end, entry) => Math.max(end, entry.end), dataStart);
  if (dataEnd > fileSize) throw truncated(file, dataEnd, fileSize);
  return entries;
}

function parseEntry(key: string, value: unknown, dataStart: number): SafetensorsEntry | undefined {
  const { dtype, shape, data_offsets: offsets } = (value ?? {}) as Record<string, unknown>;
  const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (typeof dtype !== 'string' || !Array.isArray(shape) || !shape.every(isCount)) return undefined;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) return undefined;
  const elementBytes = DTYPE_BYTES[dtype];
  const count = shape.reduce((a: number, b: number) => a * b, 1);
  if (elementBytes !== undefined && offsets[1] - offsets[0] !== count * elementBytes) return undefined;
  return { key, dtype, shape, begin: dataStart + offsets[0], end: dataStart + offsets[1] };
}

function truncated({ path, realPath }: OpenFile, needed: number, actual: number): GptSqlError {
  const target = realPath === path ? path : `${path} and ${realPath}, the cached file it links to,`;
  return new GptSqlError(
    `${path} is truncated: it should hold at least ${needed} bytes but has ${actual}, probably from an interrupted download; ` +
      `delete ${target} and download it again`,
  );
}

function readRange(file: OpenFile, entry: SafetensorsEntry): Promise<Buffer> {
  return readExactly(file, entry.begin, entry.end - entry.begin);
}

/** Reads `length` bytes at `position` into a fresh, 8-byte aligned buffer (one read call may return less). */
async function readExactly(file: OpenFile, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.from(new ArrayBuffer(length));
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.handle.read(buffer, done, Math.min(length - done, 1 << 30), position + done);
    if (bytesRead === 0) throw truncated(file, position + length, position + done);
    done += bytesRead;
  }
  return buffer;
}

/** Decodes little-endian F32, F16 or BF16 bytes to float32 (assumes a little-endian host, as every Node platform is). */
export function decodeTensor(entry: Pick<SafetensorsEntry, 'key' | 'dtype'>, bytes: Buffer): Float32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : Buffer.from(bytes);
  switch (entry.dtype) {
    case 'F32':
      return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
    case 'F16':
      return decodeF16(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2));
    case 'BF16':
      return decodeBf16(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2));
    default:
      throw unsupportedDtype(entry.key, entry.dtype);
  }
}

function unsupportedDtype(key: string, dtype: string): GptSqlError {
  return new GptSqlError(
    `tensor ${key} has dtype ${dtype}, but gpt2sql reads F32, F16 and BF16 only; convert the checkpoint to float32 or float16`,
  );
}

/** BF16 is the upper half of an f32: shifting the bits back is exact, NaN payloads included. */
function decodeBf16(halves: Uint16Array): Float32Array {
  const bits = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  return new Float32Array(bits.buffer);
}

function decodeF16(halves: Uint16Array): Float32Array {
  const table = f16Table();
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
  return out;
}

let F16_TABLE: Float32Array | undefined;

/** Every one of the 65536 half floats as float32 (each is exactly representable). */
function f16Table(): Float32Array {
  if (!F16_TABLE) {
    F16_TABLE = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) F16_TABLE[h] = f16ToNumber(h);
  }
  return F16_TABLE;
}

/** IEEE 754 binary16: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits. */
function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
