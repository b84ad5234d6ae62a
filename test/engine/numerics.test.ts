// Numbers that never crash: on the hot checkpoint (weights 10x GPT-2's scale, residual dimensions
// in the thousands, attention scores spread by > 1000, a constant layer-norm row), every kernel of
// each database and both engines give the reference's greedy tokens, top-10 logits and ranks.
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/engine/generate.ts';
import { nextTokens } from '../../src/engine/next.ts';
import { logits, newKvCache, softmax, transformer } from '../../src/reference/gpt2.ts';
import { generate as referenceGenerate } from '../../src/reference/generate.ts';
import type { KernelName } from '../../src/sql/kernels/index.ts';
import { expectClose } from '../helpers/numeric.ts';
import { HOT_PROMPT_IDS, kernelTargets, useHotModels } from './hot-models.ts';

/**
 * Max absolute difference of a logit from the reference's, per kernel, on the hot checkpoint
 * (logits of size ~5, activations up to ~3000 in a few dimensions):
 * - array: float8 in the reference's order; C's exp/tanh/sqrt against V8's, and avg()/var_pop()
 *   against two passes, differ in the last bits. Measured: 1.8e-15; 1e-12 still catches any slip.
 * - cube: float8, a·w = (|a|² + |w|² − |a − w|²) / 2 loses ~|a|²·1e-16 per dot product, and
 *   |a|² is ~C·g² after a layer norm. Measured: 7.1e-15; 1e-10 leaves room, as forward.test.ts's.
 * - vector: pgvector's float4 products and sums, ~1e-7 relative per dot product, grown by the
 *   thousands in the residual stream. Measured: 1.5e-6; 2e-5 leaves room.
 */
const LOGIT_TOLERANCE: Record<KernelName, number> = { array: 1e-12, cube: 1e-10, vector: 2e-5 };
const TEMPERATURES = [1e-6, 1e-3, 0.7, 1, 100];

/** Token ids by logit descending, ties to the lower id: "by probability" in src/reference/sample.ts. */
function ranked(values: ArrayLike<number>): number[] {
  return Array.from(values, (_, id) => id).sort((a, b) => values[b] - values[a] || a - b);
}

const targets = await kernelTargets();

describe.each(targets)('numbers on the hot checkpoint, $driver', (target) => {
  const hot = useHotModels(target, 'hot');
  let referenceLogits: Float64Array;
  beforeAll(() => {
    const { weights } = hot.models.get(target.kernels[0])!;
    referenceLogits = logits(weights, transformer(weights, HOT_PROMPT_IDS, newKvCache(weights)).slice(-1))[0];
  });

  it.each(target.kernels)('%s kernel, incremental engine: 64 greedy tokens are the reference\'s', async (kernel) => {
    const { model, weights } = hot.models.get(kernel)!;
    const expected = referenceGenerate(weights, HOT_PROMPT_IDS, { maxTokens: 64, eotId: null });
    const result = await generate(hot.db, model, HOT_PROMPT_IDS, { maxTokens: 64 });
    expect(result.tokens).toEqual(expected);
  });

  // The article's engine computes the whole text at every step: its last steps over the reference's
  // 64 tokens read every position of them (each step's token depends on all keys and values before
  // it), at a fraction of 64 whole passes (with plain arrays in WebAssembly, over a minute).
  it.each(target.kernels)('%s kernel, recompute engine: the last 8 of those 64 tokens, each from a whole pass over the text before it, are the reference\'s', async (kernel) => {
    const { model, weights } = hot.models.get(kernel)!;
    const expected = referenceGenerate(weights, HOT_PROMPT_IDS, { maxTokens: 64, eotId: null });
    const prompt = [...HOT_PROMPT_IDS, ...expected.slice(0, 56)];
    const result = await generate(hot.db, model, prompt, { maxTokens: 8, engine: 'recompute' });
    expect(result.tokens).toEqual(expected.slice(56));
  }, 360_000);

  it.each(target.kernels)('%s kernel: next ranks by logit at every temperature, ties by id, and shows each probability', async (kernel) => {
    const { model } = hot.models.get(kernel)!;
    const tolerance = LOGIT_TOLERANCE[kernel];
    const order = ranked(referenceLogits).slice(0, 10);
    for (const temperature of TEMPERATURES) {
      const candidates = await nextTokens(hot.db, model, HOT_PROMPT_IDS, { top: 10, temperature });
      expect(candidates.map((c) => c.id), `ranks at temperature ${temperature}`).toEqual(order);
      expectClose(candidates.map((c) => c.logit), order.map((id) => referenceLogits[id]), tolerance, `top-10 logits (${kernel})`);
      // A logit off by d moves a probability by a factor of at most exp(2d / temperature).
      const expected = softmax(Float64Array.from(referenceLogits, (l) => l / temperature));
      candidates.forEach((c) => {
        const bound = expected[c.id] === 0 ? 1e-12 : Math.max(1e-12, expected[c.id] * Math.expm1((2 * tolerance) / temperature));
        expectClose(c.probability, expected[c.id], bound, `probability of ${c.id} at temperature ${temperature}`);
      });
    }
  });
});
