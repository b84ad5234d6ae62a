/** The checkpoint configs the forward-pass tests run on, and prompts for them. */
import type { MakeCheckpointOptions } from '../../src/checkpoint/make-checkpoint.ts';
import type { Database } from '../../src/db/database.ts';
import { loadGeneratedModel, type LoadedModel } from '../helpers/loaded-model.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';

export { dropModel } from '../helpers/loaded-model.ts';
export type { LoadedModel } from '../helpers/loaded-model.ts';

/**
 * Shapes that exercise the forward pass differently: one head and one block, several of each, F16
 * weights, `transformer.`-prefixed keys. The tiny preset's n_ctx 128 leaves room for 64-token
 * prompts and 20 new tokens. Each has the small vocabulary (test/helpers/small-vocab.ts): the
 * tests that use them are about the engine, the scheduler, the API, not the vocabulary; the
 * forward-pass test loads them with GPT-2's whole vocabulary (fullVocabulary).
 */
export const CONFIGS = {
  '1 block, 1 head, 16 wide': { n_layer: 1, n_head: 1, n_embd: 16, vocab_size: SMALL_VOCAB, seed: 11 },
  '2 blocks, 2 heads, 32 wide': { preset: 'small', seed: 1 },
  '3 blocks, 4 heads, 64 wide': { n_layer: 3, n_head: 4, n_embd: 64, vocab_size: SMALL_VOCAB, seed: 3 },
  'F16 weights': { preset: 'small', dtype: 'F16', seed: 4 },
  'keys with the transformer. prefix': { preset: 'small', prefix: true, seed: 5 },
  // 4 × 480 values of 4 bytes and more do not fit a page: mlp c_proj's rows are stored in parts
  // (linear_parts.sql), on every kernel.
  '1 block, 4 heads, 480 wide: rows in parts': { n_layer: 1, n_head: 4, n_embd: 480, vocab_size: SMALL_VOCAB, seed: 6 },
} satisfies Record<string, MakeCheckpointOptions>;

/** GPT-2's whole vocabulary, as its tokenizer files have it. */
export const GPT2_VOCAB = 50257;

/** A config with GPT-2's whole vocabulary: for the tests of the output head at full size. */
export function fullVocabulary(config: MakeCheckpointOptions): MakeCheckpointOptions {
  return { ...config, preset: config.preset === 'small' ? 'tiny' : config.preset, vocab_size: GPT2_VOCAB };
}

/** Loads one of the configs (or any options) with the kernel given. */
export function loadTestModel(db: Database, options: MakeCheckpointOptions, kernel = 'auto'): Promise<LoadedModel> {
  return loadGeneratedModel(db, 'forward', options, kernel);
}

/** `length` token ids spread over the vocabulary (the small one unless told), the same every run; never <|endoftext|>, the last. */
export function someIds(length: number, vocabSize = SMALL_VOCAB): number[] {
  return Array.from({ length }, (_, i) => (i * 7919 + 13) % (vocabSize - 1));
}
