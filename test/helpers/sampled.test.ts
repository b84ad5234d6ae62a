// The step-by-step check of sampled tokens (sampled.ts) must fail where it should: any difference
// on a float8 kernel, and on pgvector a token that no move of the logits within its tolerance makes
// the reference's choice.
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/reference/generate.ts';
import { prefill } from '../../src/reference/gpt2.ts';
import { candidates, uniform } from '../../src/reference/sample.ts';
import { tinyConfig, tinyWeights } from '../reference/tiny-weights.ts';
import { expectSampledAsReference } from './sampled.ts';

const config = tinyConfig({ n_ctx: 16, vocab_size: 50 });
const weights = tinyWeights(config, 5);
const prompt = [1, 2, 3];
const run = { maxTokens: 6, temperature: 1, seed: 9, eotId: null };

describe('expectSampledAsReference', () => {
  const tokens = generate(weights, prompt, run);

  it('passes the reference\'s own tokens on every kernel, explaining nothing', () => {
    for (const kernel of ['array', 'cube', 'vector']) expect(expectSampledAsReference(weights, prompt, run, tokens, kernel, kernel)).toEqual([]);
  });

  it('fails any other token on a float8 kernel', () => {
    const other = [...tokens];
    other[2] = (other[2] + 1) % config.vocab_size;
    expect(() => expectSampledAsReference(weights, prompt, run, other, 'cube', 'changed')).toThrow(/draw 2 chose .* computes the logits in float8/);
  });

  it('fails on pgvector a token whose interval of running sums is far from the draw', () => {
    // At draw 0: the kept token whose interval lies farthest from u.
    const kept = candidates(prefill(weights, prompt).logits, run);
    const u = uniform(run.seed, 0);
    let running = 0;
    const far = kept.map((c) => { const start = running; running += c.prob; return { id: c.id, distance: u < start ? start - u : Math.max(0, u - running) }; })
      .sort((a, b) => b.distance - a.distance)[0];
    expect(far.distance).toBeGreaterThan(1e-3);
    expect(() => expectSampledAsReference(weights, prompt, run, [far.id], 'vector', 'far')).toThrow(/no move of the logits within vector's tolerance/);
  });

  it('accepts on pgvector a draw within the tolerance of a boundary, and says so', () => {
    // A seed and draw index whose draw lands within 1e-6 of a boundary between two kept tokens: the
    // token on the other side is explainable by float4 logits, and named.
    const logits = prefill(weights, prompt).logits;
    for (let seed = 0; seed < 200_000; seed++) {
      const options = { ...run, seed, maxTokens: 1 };
      const kept = candidates(logits, options);
      const u = uniform(seed, 0);
      let running = 0;
      for (let k = 0; k + 1 < kept.length; k++) {
        running += kept[k].prob;
        if (Math.abs(running - u) < 1e-6) {
          const neighbour = u < running ? kept[k + 1].id : kept[k].id; // the token just across the boundary
          const explained = expectSampledAsReference(weights, prompt, options, [neighbour], 'vector', 'near a boundary');
          expect(explained).toHaveLength(1);
          expect(explained[0].margin).toBeLessThan(1e-6);
          return;
        }
      }
    }
    expect.fail('no seed below 200000 draws within 1e-6 of a boundary');
  });
});
