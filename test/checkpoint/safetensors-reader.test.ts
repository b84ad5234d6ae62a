import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/checkpoint/safetensors-reader.ts';
import { f32Bytes, safetensorsBytes, u16Bytes, withHeader, type RawTensor } from './fixtures.ts';

async function fileWith(bytes: Buffer): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'gpt2sql-st-')), 'model.safetensors');
  await writeFile(path, bytes);
  return path;
}

async function readOne(tensor: RawTensor): Promise<Float32Array> {
  const file = await openSafetensors(await fileWith(safetensorsBytes({ t: tensor })));
  try {
    return await file.read('t');
  } finally {
    await file.close();
  }
}

const bitsOf = (values: Float32Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength);

describe('openSafetensors', () => {
  it('reads F32 bit for bit, including -0, NaN, infinities and subnormals', async () => {
    const data = f32Bytes([1.5, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, -0.1]);
    const values = await readOne({ dtype: 'F32', shape: [2, 4], data });
    expect(bitsOf(values).equals(data)).toBe(true);
  });

  it('decodes F16: normals, extremes, subnormals, signed zero, infinities, NaN', async () => {
    // [bits, value] pairs from the IEEE 754 binary16 definition
    const known: Array<[number, number]> = [
      [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x3bff, 0.99951171875],
      [0x7bff, 65504], [0x0400, 2 ** -14], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24],
      [0x0000, 0], [0x8000, -0], [0x7c00, Infinity], [0xfc00, -Infinity], [0x7e00, NaN],
    ];
    const values = await readOne({ dtype: 'F16', shape: [known.length], data: u16Bytes(known.map(([bits]) => bits)) });
    expect([...values]).toEqual(known.map(([, value]) => value)); // toEqual tells -0 from 0 and matches NaN
  });

  it('decodes BF16 as the upper half of a float32', async () => {
    const known: Array<[number, number]> = [
      [0x3f80, 1], [0xc000, -2], [0x3eab, 0.333984375], [0x7f7f, 3.3895313892515355e38],
      [0x0001, 2 ** -133], [0x8000, -0], [0x7f80, Infinity], [0xff80, -Infinity], [0x7fc0, NaN],
    ];
    const values = await readOne({ dtype: 'BF16', shape: [known.length], data: u16Bytes(known.map(([bits]) => bits)) });
    expect([...values]).toEqual(known.map(([, value]) => value));
  });

  it('lists entries with shapes, skips __metadata__, and reads each tensor at its own offset', async () => {
    const path = await fileWith(
      safetensorsBytes({
        a: { dtype: 'F32', shape: [3], data: f32Bytes([1, 2, 3]) },
        scalar: { dtype: 'F32', shape: [], data: f32Bytes([-1e4]) },
        b: { dtype: 'F16', shape: [1, 2], data: u16Bytes([0x3c00, 0x4000]) },
        mask: { dtype: 'BOOL', shape: [2, 2], data: Buffer.from([1, 0, 1, 1]) },
      }),
    );
    const file = await openSafetensors(path);
    expect([...file.entries.keys()]).toEqual(['a', 'scalar', 'b', 'mask']);
    expect(file.entries.get('b')).toMatchObject({ dtype: 'F16', shape: [1, 2] });
    expect([...(await file.read('b'))]).toEqual([1, 2]);
    expect([...(await file.read('scalar'))]).toEqual([-1e4]);
    expect([...(await file.read('a'))]).toEqual([1, 2, 3]);
    expect([...(await file.readBytes('mask'))]).toEqual([1, 0, 1, 1]);
    await expect(file.read('mask')).rejects.toThrow(/^tensor mask has dtype BOOL, but gpt2sql reads F32, F16 and BF16 only; convert/);
    await expect(file.read('nope')).rejects.toThrow(/no tensor named nope/);
    await file.close();
  });

  it('refuses a truncated file, naming it and saying what to do', async () => {
    const whole = safetensorsBytes({ a: { dtype: 'F32', shape: [4], data: f32Bytes([1, 2, 3, 4]) } });
    const path = await fileWith(whole.subarray(0, whole.length - 3));
    await expect(openSafetensors(path)).rejects.toThrow(/model\.safetensors is truncated: .*; delete .* and download it again$/);
    await expect(openSafetensors(await fileWith(whole.subarray(0, 20)))).rejects.toThrow(/truncated/);
    const link = join(dirname(path), 'link.safetensors');
    await symlink(path, link);
    await expect(openSafetensors(link)).rejects.toThrow(/delete .*link.safetensors and .*model.safetensors, the cached file it links to/);
    await expect(openSafetensors(await fileWith(whole.subarray(0, 5)))).rejects.toThrow(/truncated/);
  });

  it('refuses malformed headers', async () => {
    const cases: Array<[Buffer, RegExp]> = [
      [withHeader('{"a": '), /header is not JSON/],
      [withHeader('[1, 2]'), /not a JSON object/],
      [withHeader('{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}', [f32Bytes([1, 2])]), /tensor a has a malformed/],
      [withHeader('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}', [f32Bytes([1])]), /tensor a has a malformed/],
      [withHeader('{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}', [f32Bytes([1])]), /tensor a has a malformed/],
      [Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 1, 0, 0]), Buffer.alloc(64)]), /header length \d+ is out of range/],
    ];
    for (const [bytes, message] of cases) await expect(openSafetensors(await fileWith(bytes))).rejects.toThrow(message);
  });
});
