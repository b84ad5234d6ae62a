// Writes a random GPT-2 checkpoint in Hugging Face layout (config.json, model.safetensors, tokenizer files).
// Usage: npx tsx scripts/make-checkpoint.ts OUT_DIR [--preset tiny|small|gpt2|hot|…] [--n-layer N --n-head N
//        --n-embd N --n-ctx N --vocab N] [--dtype F32|F16|BF16] [--prefix] [--lm-head] [--with-buffers]
//        [--seed N] [--tokenizer hf|openai]
// --vocab N (or --vocab-size N, 257 to 50257) cuts GPT-2's tokenizer to its first N - 257 merges:
// the 256 byte tokens, those merges' tokens, and <|endoftext|> last, id N - 1. Preset small: tiny
// with 1024 tokens.
import { makeCheckpoint, PRESETS, type MakeCheckpointOptions } from '../src/checkpoint/make-checkpoint.ts';
import { parseCommandLine } from './command-line.ts';

const { values, positionals } = parseCommandLine(import.meta.url, {
  allowPositionals: true,
  options: {
    preset: { type: 'string' },
    'n-layer': { type: 'string' },
    'n-head': { type: 'string' },
    'n-embd': { type: 'string' },
    'n-ctx': { type: 'string' },
    vocab: { type: 'string' },
    'vocab-size': { type: 'string' },
    dtype: { type: 'string' },
    prefix: { type: 'boolean' },
    'lm-head': { type: 'boolean' },
    'with-buffers': { type: 'boolean' },
    seed: { type: 'string' },
    tokenizer: { type: 'string' },
  },
});

function integer(flag: keyof typeof values): number | undefined {
  const text = values[flag] as string | undefined;
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) fail(`--${flag} must be a non-negative integer, got ${text}`);
  return Number(text);
}

function oneOf<T extends string>(flag: keyof typeof values, allowed: readonly T[]): T | undefined {
  const text = values[flag] as string | undefined;
  if (text !== undefined && !allowed.includes(text as T)) fail(`--${flag} must be one of ${allowed.join(', ')}`);
  return text as T | undefined;
}

function fail(message: string): never {
  console.error(`make-checkpoint: ${message}`);
  process.exit(1);
}

if (positionals.length !== 1) fail('expected exactly one argument, the output directory');
const options: MakeCheckpointOptions = {
  preset: oneOf('preset', Object.keys(PRESETS) as Array<keyof typeof PRESETS>),
  n_layer: integer('n-layer'),
  n_head: integer('n-head'),
  n_embd: integer('n-embd'),
  n_ctx: integer('n-ctx'),
  vocab_size: integer('vocab') ?? integer('vocab-size'),
  dtype: oneOf('dtype', ['F32', 'F16', 'BF16'] as const),
  prefix: values.prefix,
  lmHead: values['lm-head'],
  withBuffers: values['with-buffers'],
  seed: integer('seed'),
  tokenizer: oneOf('tokenizer', ['hf', 'openai'] as const),
};
const started = Date.now();
try {
  const config = await makeCheckpoint(positionals[0], options);
  console.log(`Wrote ${positionals[0]} (${JSON.stringify(config)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  fail((error as Error).message);
}
