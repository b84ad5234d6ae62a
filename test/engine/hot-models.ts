/**
 * The stress checkpoint of the numerics tests: the generator's `hot` preset (weights ten times
 * GPT-2's scale, residual dimensions in the thousands, attention scores spread by more than 1000
 * within a row, a constant layer-norm input row), at a size the suite can afford, loaded once per
 * kernel a database has.
 */
import { afterAll, beforeAll } from 'vitest';
import type { MakeCheckpointOptions } from '../../src/checkpoint/make-checkpoint.ts';
import type { Database } from '../../src/db/database.ts';
import { KERNEL_NAMES, kernel, type KernelName } from '../../src/sql/kernels/index.ts';
import { testDatabases, type TestDatabase } from '../helpers/databases.ts';
import { dropModel, loadGeneratedModel, type LoadedModel } from '../helpers/loaded-model.ts';
import { cutTiktoken, SMALL_VOCAB } from '../helpers/small-vocab.ts';

/**
 * The hot preset at 2 blocks of 4 heads, 32 wide, with the small vocabulary: its properties hold
 * there (test/checkpoint/make-checkpoint.test.ts). The subject is the arithmetic of the blocks,
 * not the vocabulary: the output head's numbers at 50,257 are forward.test.ts's.
 */
export const HOT: MakeCheckpointOptions = { preset: 'hot', n_layer: 2, n_head: 4, n_embd: 32, n_ctx: 128, vocab_size: SMALL_VOCAB, seed: 1 };

/**
 * It starts with "The", the token whose embedding row is constant. 20 tokens (the report's prompt
 * had 32): on these the checkpoint still has every property make-checkpoint.test.ts asserts
 * (residual values to ~3000, scores spread by ~2085, an attention weight of 1e-323), and the
 * recompute engine's 64 passes over 20 to 83 positions cost about a third less than over 32 to 95.
 */
export const HOT_PROMPT = 'The quick brown fox jumps over the lazy dog';
export const HOT_PROMPT_IDS = cutTiktoken(SMALL_VOCAB).encode(HOT_PROMPT, [], []);

export interface KernelTarget extends TestDatabase {
  /** Every kernel this database can run. */
  kernels: KernelName[];
}

/**
 * The test databases, each with the kernels it has (PGlite: vector, cube, array; a stock server:
 * cube, array). Opens each database once to ask.
 */
export async function kernelTargets(): Promise<KernelTarget[]> {
  return Promise.all(testDatabases().map(async (target) => {
    const db = await target.open();
    try {
      const available = await db.availableExtensions();
      const kernels = KERNEL_NAMES.filter((name) => !kernel(name).extension || available.has(kernel(name).extension!));
      return { ...target, kernels };
    } finally {
      await db.close();
    }
  }));
}

/** What useHotModels gives a describe block once its beforeAll has run. */
export interface HotModels {
  db: Database;
  /** The hot checkpoint loaded with each kernel of the target. */
  models: Map<KernelName, LoadedModel>;
}

/**
 * Opens the target and loads the hot checkpoint once per kernel before the block's tests, and
 * drops the models and closes the database after them. Call it inside a describe block.
 *
 * @example
 * const hot = useHotModels(target, 'hot');
 * it('…', async () => { const { model } = hot.models.get('array')!; await generate(hot.db, model, …); });
 */
export function useHotModels(target: KernelTarget, prefix: string): HotModels {
  const hot = { models: new Map() } as HotModels;
  beforeAll(async () => {
    hot.db = await target.open();
    for (const kernel of target.kernels) hot.models.set(kernel, await loadGeneratedModel(hot.db, prefix, HOT, kernel));
  });
  afterAll(async () => {
    for (const { model } of hot.models.values()) await dropModel(hot.db, model);
    await hot.db.close();
  });
  return hot;
}
