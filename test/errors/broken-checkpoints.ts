// Broken copies of a good checkpoint directory, one defect each, written byte by byte here
// (not through src/checkpoint) so the readers under test never build their own inputs.
import { chmod, cp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

interface RawTensor {
  dtype: string;
  shape: number[];
  data: Buffer;
}

/** Every tensor of a safetensors file, in file order, as raw bytes. */
async function readTensors(path: string): Promise<Map<string, RawTensor>> {
  const bytes = await readFile(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const tensors = new Map<string, RawTensor>();
  for (const [key, { dtype, shape, data_offsets: offsets }] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    tensors.set(key, { dtype, shape, data: bytes.subarray(8 + headerLength + offsets[0], 8 + headerLength + offsets[1]) });
  }
  return tensors;
}

async function writeTensors(path: string, tensors: Map<string, RawTensor>): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [key, { dtype, shape, data }] of tensors) {
    header[key] = { dtype, shape, data_offsets: [offset, offset + data.length] };
    offset += data.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  await writeFile(path, Buffer.concat([length, json, ...[...tensors.values()].map((t) => t.data)]));
}

/** Re-encodes an F32 tensor as I8 (values × 100, rounded) or F64: legal safetensors, dtypes gpt2sql refuses. */
function convert({ shape, data }: RawTensor, dtype: 'I8' | 'F64'): RawTensor {
  const values = Array.from({ length: data.length / 4 }, (_, i) => data.readFloatLE(i * 4));
  const out = Buffer.alloc(values.length * (dtype === 'I8' ? 1 : 8));
  values.forEach((value, i) => (dtype === 'I8' ? out.writeInt8(Math.max(-128, Math.min(127, Math.round(value * 100))), i) : out.writeDoubleLE(value, i * 8)));
  return { dtype, shape, data: out };
}

async function editTensors(dir: string, edit: (tensors: Map<string, RawTensor>) => void): Promise<void> {
  const path = join(dir, 'model.safetensors');
  const tensors = await readTensors(path);
  edit(tensors);
  await writeTensors(path, tensors);
}

async function editConfig(dir: string, edit: (config: Record<string, unknown>) => void): Promise<void> {
  const path = join(dir, 'config.json');
  const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  edit(config);
  await writeFile(path, JSON.stringify(config, null, 2));
}

/** Each defect: how to make it from a copy of the good checkpoint (which has F32 h.0… keys, n_ctx 8). */
export const DEFECTS = {
  'config-missing': (dir: string) => rm(join(dir, 'config.json')),
  'config-unparsable': (dir: string) => writeFile(join(dir, 'config.json'), '{"model_type": "gpt2", "n_layer": 1,'),
  'config-not-gpt2': (dir: string) => editConfig(dir, (config) => (config.model_type = 'llama')),
  'weights-truncated': async (dir: string) => truncate(join(dir, 'model.safetensors'), (await readFile(join(dir, 'model.safetensors'))).length - 1000),
  'weights-corrupted-header': async (dir: string) => {
    const bytes = await readFile(join(dir, 'model.safetensors'));
    bytes.write('#corrupt#', 8 + 20, 'latin1');
    await writeFile(join(dir, 'model.safetensors'), bytes);
  },
  'weights-tensor-missing': (dir: string) => editTensors(dir, (tensors) => tensors.delete('h.0.mlp.c_proj.bias')),
  'weights-shape-disagrees': (dir: string) => editConfig(dir, (config) => Object.assign(config, { n_ctx: 16, n_positions: 16 })),
  'weights-dtype-i8': (dir: string) => editTensors(dir, (tensors) => tensors.set('wte.weight', convert(tensors.get('wte.weight')!, 'I8'))),
  'weights-dtype-f64': (dir: string) => editTensors(dir, (tensors) => tensors.set('ln_f.bias', convert(tensors.get('ln_f.bias')!, 'F64'))),
  'weights-unreadable': (dir: string) => chmod(join(dir, 'model.safetensors'), 0o000),
  'tokenizer-missing': async (dir: string) => {
    await rm(join(dir, 'vocab.json'));
    await rm(join(dir, 'merges.txt'));
  },
  'tokenizer-merges-missing': (dir: string) => rm(join(dir, 'merges.txt')),
  'tokenizer-vocab-malformed': (dir: string) => writeFile(join(dir, 'vocab.json'), '{"!": 0, "\\"": 1,'),
  'tokenizer-merges-malformed': (dir: string) => writeFile(join(dir, 'merges.txt'), '#version: 0.2\nĠ t\nĠt he re\n'),
  'directory-unreadable': (dir: string) => chmod(dir, 0o000),
} satisfies Record<string, (dir: string) => Promise<unknown>>;

export type Defect = keyof typeof DEFECTS;

/** Copies `good` to `parent/<defect>` and breaks it; returns the broken directory. */
export async function brokenCheckpoint(good: string, parent: string, defect: Defect): Promise<string> {
  const dir = join(parent, defect);
  await cp(good, dir, { recursive: true });
  await DEFECTS[defect](dir);
  return dir;
}
