import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GptSqlError } from '../errors.ts';
import { readConfig } from './config.ts';
import { unreadable } from './file-errors.ts';
import { canonicalName, gpt2Tensors, isBuffer, lmHeadTensor, type TensorSpec } from './gpt2-tensors.ts';
import { openSafetensors, READABLE_DTYPES, type SafetensorsEntry, type SafetensorsFile } from './safetensors-reader.ts';
import { readTokenizerFiles } from './tokenizer-files.ts';
import type { Checkpoint, Dtype, Gpt2Config, TensorInfo, TokenizerFiles } from './types.ts';

/** Where a tensor lives: its file and its header entry. */
interface Located {
  file: SafetensorsFile;
  entry: SafetensorsEntry;
}

/**
 * Opens a GPT-2 checkpoint directory in Hugging Face layout: config.json, model.safetensors (or
 * model.safetensors.index.json and its shards) and the tokenizer files. Checks every tensor against
 * the shapes config.json implies; reads tensor data only on `read`.
 *
 * @example
 * const checkpoint = await openCheckpoint('models/gpt2');
 * const wte = await checkpoint.read('wte.weight'); // [V, C] row-major
 * await checkpoint.close();
 */
export async function openCheckpoint(dir: string): Promise<Checkpoint> {
  await access(dir, constants.R_OK | constants.X_OK).catch((error: unknown) => {
    throw unreadable(dir, error);
  });
  const config = await readConfig(dir);
  const tokenizer = await readTokenizerFiles(dir);
  checkVocabulary(tokenizer, config, dir);
  const files = await openWeightFiles(dir);
  const close = async () => void (await Promise.all(files.map((file) => file.close())));
  try {
    const located = locateTensors(files);
    const specs = [...gpt2Tensors(config), ...(located.has('lm_head.weight') ? [lmHeadTensor(config)] : [])];
    checkTensors(specs, located, dir);
    const read = (name: string) => readTensor(located, name, dir);
    const tensors: TensorInfo[] = specs.map(({ name, shape }) => ({ name, shape, dtype: located.get(name)!.entry.dtype as Dtype }));
    return { dir, config, tokenizer, tensors, tiedLmHead: await isTied(located, read), read, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function checkVocabulary({ encoder }: TokenizerFiles, { vocab_size }: Gpt2Config, dir: string): void {
  let largestId = -1;
  for (const id of encoder.values()) largestId = Math.max(largestId, id);
  if (largestId >= vocab_size) {
    throw new GptSqlError(
      `the tokenizer in ${dir} has token id ${largestId} but config.json says vocab_size is ${vocab_size}; ` +
        'use the tokenizer files and config.json that came with these weights',
    );
  }
}

async function openWeightFiles(dir: string): Promise<SafetensorsFile[]> {
  if (await exists(join(dir, 'model.safetensors'))) return [await openSafetensors(join(dir, 'model.safetensors'))];
  if (await exists(join(dir, 'model.safetensors.index.json'))) {
    const shards = await readShardNames(join(dir, 'model.safetensors.index.json'));
    const files: SafetensorsFile[] = [];
    try {
      for (const shard of shards) files.push(await openSafetensors(join(dir, shard)));
    } catch (error) {
      await Promise.all(files.map((file) => file.close()));
      throw error;
    }
    return files;
  }
  const advice = (await exists(join(dir, 'pytorch_model.bin')))
    ? 'it has pytorch_model.bin: convert it with transformers (model.save_pretrained(dir, safe_serialization=True))'
    : 'pass the directory that holds the weights, or a hub id like gpt2';
  throw new GptSqlError(`no model.safetensors or model.safetensors.index.json in ${dir}; ${advice}`);
}

/** The shard files named by a sharded checkpoint's index ({"weight_map": {tensor: file}}). */
export async function readShardNames(indexPath: string): Promise<string[]> {
  let weightMap: unknown;
  try {
    weightMap = JSON.parse(await readFile(indexPath, 'utf8')).weight_map;
  } catch {
    throw new GptSqlError(`${indexPath} is not valid JSON; download it again`);
  }
  const shards = Object.values((weightMap ?? {}) as Record<string, unknown>);
  if (shards.length === 0 || !shards.every((shard) => typeof shard === 'string' && /^[\w.-]+$/.test(shard))) {
    throw new GptSqlError(`${indexPath} has no valid weight_map; download it again`);
  }
  return [...new Set(shards as string[])];
}

/** Every tensor by canonical name; buffers left out. */
function locateTensors(files: SafetensorsFile[]): Map<string, Located> {
  const located = new Map<string, Located>();
  for (const file of files) {
    for (const entry of file.entries.values()) {
      const name = canonicalName(entry.key);
      if (isBuffer(name)) continue;
      const previous = located.get(name);
      if (previous) {
        throw new GptSqlError(`tensor ${name} appears twice in the checkpoint (as ${previous.entry.key} and ${entry.key}); keep one of them`);
      }
      located.set(name, { file, entry });
    }
  }
  return located;
}

/** Reports every missing tensor, wrong shape and unreadable dtype at once. */
function checkTensors(specs: TensorSpec[], located: Map<string, Located>, dir: string): void {
  const mismatches: string[] = [];
  const dtypes: string[] = [];
  for (const { name, shape } of specs) {
    const entry = located.get(name)?.entry;
    if (!entry) mismatches.push(`${name} is missing`);
    else if (entry.shape.join() !== shape.join()) {
      mismatches.push(`${name} has shape [${entry.shape}], config.json implies [${shape}]`);
    } else if (!READABLE_DTYPES.includes(entry.dtype as Dtype)) {
      dtypes.push(`${name} has dtype ${entry.dtype} (only F32, F16 and BF16 are read)`);
    }
  }
  const problems = [...mismatches, ...dtypes];
  if (problems.length === 0) return;
  const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
  if (mismatches.length > 0) {
    throw new GptSqlError(
      `the weights in ${dir} do not match its config.json: ${shown}; ` +
        'use the config.json that came with these weights, or download the checkpoint again',
    );
  }
  throw new GptSqlError(`the weights in ${dir} cannot be read: ${shown}; convert the checkpoint to float32 or float16`);
}

async function readTensor(located: Map<string, Located>, name: string, dir: string): Promise<Float32Array> {
  const where = located.get(name);
  if (!where) throw new GptSqlError(`the checkpoint in ${dir} has no tensor ${name}; name one as the checkpoint does, like h.0.attn.c_attn.weight`);
  return where.file.read(where.entry.key);
}

/** The head is tied when absent, or when its values are wte's bit for bit. */
async function isTied(located: Map<string, Located>, read: (name: string) => Promise<Float32Array>): Promise<boolean> {
  if (!located.has('lm_head.weight')) return true;
  const [wte, lmHead] = await Promise.all([read('wte.weight'), read('lm_head.weight')]);
  const bytes = (values: Float32Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return bytes(wte).equals(bytes(lmHead));
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
