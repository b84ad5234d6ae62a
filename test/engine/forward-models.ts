/** The checkpoint configs the forward-pass tests run on, and prompts for them. */
import type { MakeCheckpointOptions } from '../../src/checkpoint/make-checkpoint.ts';
import type { Database } from '../../src/db/database.ts';
import { loadGeneratedModel, type LoadedModel } from '../helpers/loaded-model.ts';

export { dropModel } from '../helpers/loaded-model.ts';
export type { LoadedModel } from '../helpers/loaded-model.ts';

/**
 * Shapes that exercise the forward pass differently: one head and one block, several of each, F16
 * weights, `transformer.`-prefixed keys. The tiny preset's n_ctx 128 leaves room for 64-token
 * prompts and 20 new tokens.
 */
export const CONFIGS = {
  '1 block, 1 head, 16 wide': { n_layer: 1, n_head: 1, n_embd: 16, seed: 11 },
  '2 blocks, 2 heads, 32 wide': { preset: 'tiny', seed: 1 },
  '3 blocks, 4 heads, 64 wide': { n_layer: 3, n_head: 4, n_embd: 64, seed: 3 },
  'F16 weights': { preset: 'tiny', dtype: 'F16', seed: 4 },
  'keys with the transformer. prefix': { preset: 'tiny', prefix: true, seed: 5 },
  // 4 × 480 values of 4 bytes and more do not fit a page: mlp c_proj's rows are stored in parts
  // (linear_parts.sql), on every kernel.
  '1 block, 4 heads, 480 wide: rows in parts': { n_layer: 1, n_head: 4, n_embd: 480, seed: 6 },
} satisfies Record<string, MakeCheckpointOptions>;

/** Loads one of the configs (or any options) with the kernel given. */
export function loadTestModel(db: Database, options: MakeCheckpointOptions, kernel = 'auto'): Promise<LoadedModel> {
  return loadGeneratedModel(db, 'forward', options, kernel);
}

/** `length` token ids spread over the vocabulary, the same every run. */
export function someIds(length: number, vocabSize = 50257): number[] {
  return Array.from({ length }, (_, i) => (i * 7919 + 13) % vocabSize);
}
