import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { hiddenStates } from '../helpers/hidden-states.ts';
import { nextTokens } from '../../src/engine/next.ts';
import { logits, newKvCache, softmax, transformer } from '../../src/reference/gpt2.ts';
import { testDatabases } from '../helpers/databases.ts';
import { expectClose, LOGITS_TOLERANCE } from '../helpers/numeric.ts';
import { CONFIGS, dropModel, fullVocabulary, loadTestModel, someIds, type LoadedModel } from './forward-models.ts';

/**
 * Tolerances (max absolute difference from the float64 reference) per kernel. The weights are the
 * checkpoint's float4 values in both, so storage adds no error; values here are of size ~1.
 * - array: every product and sum runs in float8 in the reference's order; only exp(), tanh() and
 *   sqrt() of the C library may differ from V8's in the last bit. Measured: at most 2.2e-15 on
 *   these configs. 1e-12 leaves room for deeper models and still catches any real mistake.
 * - vector: pgvector rounds the activation to float4 (relative 6e-8) and sums the products in
 *   float4, so each dot product is off by ~1e-7 relative. Measured: at most 1.1e-6 (3 blocks,
 *   64 wide, 64 positions). 1e-5 leaves room for deeper models; a bug moves values by >= 1e-3.
 * - cube: float8 throughout, but a·w = (|a|² + |w|² − |a − w|²) / 2 subtracts numbers of size
 *   |a|² (~C after a layer norm), losing ~|a|²·1e-16 per dot product. Measured: at most 2.6e-13
 *   (3 blocks, 64 wide, 64 positions). 1e-9 leaves room for wider, deeper models.
 */
const TOLERANCE = LOGITS_TOLERANCE;
/** The probabilities are divided by their own float8 sum: they add up to 1 but for rounding. */
const SUM_TOLERANCE = 1e-12;

/** Logits of the last position, [V] by token id, from the database (nextTokens with every token). */
async function sqlLogits(db: Database, { model }: LoadedModel, ids: number[]): Promise<{ logits: Float64Array; probs: Float64Array }> {
  const candidates = await nextTokens(db, model, ids, { top: model.vocab_size, temperature: 1 });
  const result = { logits: new Float64Array(model.vocab_size).fill(NaN), probs: new Float64Array(model.vocab_size).fill(NaN) };
  for (const c of candidates) {
    result.logits[c.id] = c.logit;
    result.probs[c.id] = c.probability;
  }
  return result;
}

/**
 * The configs whose output head runs at GPT-2's full 50,257 tokens: the deepest and widest shape
 * (3 blocks, 4 heads, 64 wide) and F16 weights (the head stored from half precision), on every
 * driver. The head is the same product of ln_f's rows with wte's whatever the blocks before it,
 * and each load of the whole vocabulary stores GPT-2's tokenizer too (50,257 tokens, 50,000
 * merges), the most of this file's time; the other configs' subjects (1 and 2 blocks, 1 and 2
 * heads, 16 and 32 wide; the checkpoint's key names; mlp c_proj's rows in parts) are the blocks,
 * which they test with the small vocabulary, against the same reference.
 */
const FULL_HEAD = new Set(['3 blocks, 4 heads, 64 wide', 'F16 weights']);

describe.each(testDatabases())('forward pass on $driver', (target) => {
  let db: Database;
  const loaded: LoadedModel[] = [];
  beforeAll(async () => {
    db = await target.open();
  });
  afterAll(async () => {
    for (const { model } of loaded) await dropModel(db, model);
    await db.close();
  });

  // The output head at GPT-2's full size on FULL_HEAD's configs.
  describe.each(Object.entries(CONFIGS))('%s', (name, config) => {
    let m: LoadedModel;
    beforeAll(async () => {
      m = await loadTestModel(db, FULL_HEAD.has(name) ? fullVocabulary(config) : config);
      loaded.push(m);
    });

    it.each([1, 64])('matches the reference for a prompt of %i tokens', async (length) => {
      const ids = someIds(length, m.weights.config.vocab_size);
      const tolerance = TOLERANCE[m.model.kernel];
      const lnf = transformer(m.weights, ids, newKvCache(m.weights)); // [T, C]
      const expectedLogits = logits(m.weights, lnf.slice(-1))[0]; // [V]
      expectClose(await hiddenStates(db, m.model, ids), lnf, tolerance, `lnf of every position (${m.model.kernel})`);
      const actual = await sqlLogits(db, m, ids);
      expectClose(actual.logits, expectedLogits, tolerance, `logits of the last position (${m.model.kernel})`);
      expectClose(actual.probs, softmax(expectedLogits), tolerance, 'next: probabilities at temperature 1');
      expectClose(actual.probs.reduce((s, p) => s + p, 0), 1, SUM_TOLERANCE, 'next: probabilities sum to 1');
    });
  });

  describe('kernels', () => {
    it('give the array kernel\'s logits within their tolerance, and auto picks the fastest available', async () => {
      const config = CONFIGS['3 blocks, 4 heads, 64 wide'];
      const available = await db.availableExtensions();
      const array = await loadTestModel(db, config, 'array');
      loaded.push(array);
      const ids = someIds(9);
      const expected = await sqlLogits(db, array, ids);
      for (const [name, extension] of [['vector', 'vector'], ['cube', 'cube']]) {
        if (!available.has(extension)) {
          // The kernel must be refused with a way out.
          await expect(loadTestModel(db, config, name)).rejects.toThrow(new RegExp(`needs the PostgreSQL extension "${extension}".*--kernel array`));
          continue;
        }
        const other = await loadTestModel(db, config, name);
        loaded.push(other);
        expect(other.model.kernel).toBe(name);
        expectClose((await sqlLogits(db, other, ids)).logits, expected.logits, TOLERANCE[name], `logits, ${name} kernel against array kernel`);
      }
      const auto = await loadTestModel(db, config, 'auto');
      loaded.push(auto);
      const fastest = available.has('vector') ? 'vector' : available.has('cube') ? 'cube' : 'array';
      expect(auto.model.kernel).toBe(fastest);
    });
  });
});
