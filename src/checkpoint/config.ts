import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GptSqlError } from '../errors.ts';
import { unreadable } from './file-errors.ts';
import type { Gpt2Config } from './types.ts';

/**
 * Options of Hugging Face's GPT2Config that change the computation. gpt2sql computes GPT-2 as
 * published; a config asking for something else is refused rather than silently computed wrong.
 */
const SUPPORTED_OPTIONS: Record<string, (value: unknown, config: Record<string, unknown>) => boolean> = {
  activation_function: (value) => value === undefined || value === 'gelu_new' || value === 'gelu_pytorch_tanh',
  n_inner: (value, config) => value === undefined || value === null || value === 4 * (config.n_embd as number),
  scale_attn_weights: (value) => value === undefined || value === true,
  scale_attn_by_inverse_layer_idx: (value) => value === undefined || value === false,
};

/**
 * Reads and checks `config.json` of a GPT-2 checkpoint directory.
 *
 * @example
 * const config = await readConfig('models/gpt2'); // { n_layer: 12, n_head: 12, n_embd: 768, n_ctx: 1024, … }
 */
export async function readConfig(dir: string): Promise<Gpt2Config> {
  const path = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(path, error);
    throw new GptSqlError(
      `no config.json in ${dir}: a GPT-2 checkpoint directory needs config.json next to model.safetensors; ` +
        'pass the directory that holds them, or a hub id like gpt2',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GptSqlError(`${path} is not valid JSON; download it again`);
  }
  return parseConfig(json, path);
}

/** Checks a parsed config.json (`source` names it in error messages). */
export function parseConfig(json: unknown, source = 'config.json'): Gpt2Config {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new GptSqlError(`${source} must hold a JSON object; download it again`);
  }
  const raw = json as Record<string, unknown>;
  if (raw.model_type !== 'gpt2') {
    throw new GptSqlError(
      `${source} has model_type ${JSON.stringify(raw.model_type)}; gpt2sql runs GPT-2 models only (model_type "gpt2"): ` +
        'load one such as gpt2, distilgpt2 or openai-community/gpt2-medium',
    );
  }
  const config: Gpt2Config = {
    model_type: 'gpt2',
    n_layer: positiveInteger(raw, 'n_layer', source),
    n_head: positiveInteger(raw, 'n_head', source),
    n_embd: positiveInteger(raw, 'n_embd', source),
    n_ctx: positiveInteger(raw, raw.n_positions != null ? 'n_positions' : 'n_ctx', source),
    vocab_size: positiveInteger(raw, 'vocab_size', source),
    layer_norm_epsilon: epsilon(raw, source),
  };
  if (config.n_embd % config.n_head !== 0) {
    throw new GptSqlError(`${source}: n_embd (${config.n_embd}) must be a multiple of n_head (${config.n_head}); fix ${source}`);
  }
  for (const [option, isSupported] of Object.entries(SUPPORTED_OPTIONS)) {
    if (!isSupported(raw[option], raw)) {
      throw new GptSqlError(`${source} sets ${option} to ${JSON.stringify(raw[option])}, which gpt2sql does not support; use a checkpoint with GPT-2's own ${option}`);
    }
  }
  return config;
}

function positiveInteger(raw: Record<string, unknown>, key: string, source: string): number {
  const value = raw[key];
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new GptSqlError(`${source}: ${key} must be a positive integer, found ${JSON.stringify(value)}; fix ${source}`);
  }
  return value as number;
}

function epsilon(raw: Record<string, unknown>, source: string): number {
  const value = raw.layer_norm_epsilon ?? 1e-5;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new GptSqlError(`${source}: layer_norm_epsilon must be a positive number, found ${JSON.stringify(value)}; fix ${source}`);
  }
  return value;
}
