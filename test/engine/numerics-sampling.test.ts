// Sampling on the hot checkpoint: at temperatures from 1e-6 to 100, with and without top-k and
// top-p, every kernel of each database and both engines choose the reference sampler's tokens.
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/engine/generate.ts';
import type { EngineName } from '../../src/engine/options.ts';
import { expectSampledAsReference } from '../helpers/sampled.ts';
import { HOT_PROMPT_IDS, kernelTargets, useHotModels } from './hot-models.ts';

const TEMPERATURES = [1e-6, 1e-3, 0.7, 1, 100];
const FILTERS = [{}, { topK: 40, topP: 0.9 }];
const ENGINES: EngineName[] = ['incremental', 'recompute'];
const TOKENS = 4;

const targets = await kernelTargets();

describe.each(targets)('sampling on the hot checkpoint, $driver', (target) => {
  const hot = useHotModels(target, 'hot_sampling');

  it.each(target.kernels.flatMap((kernel) => ENGINES.map((engine) => [kernel, engine] as const)))(
    '%s kernel, %s engine: every temperature from 1e-6 to 100, with and without top-k/top-p', async (kernel, engine) => {
      const { model, weights } = hot.models.get(kernel)!;
      for (const [i, temperature] of TEMPERATURES.entries()) {
        for (const filter of FILTERS) {
          const options = { temperature, seed: 100 + i, ...filter };
          const { tokens } = await generate(hot.db, model, HOT_PROMPT_IDS, { maxTokens: TOKENS, engine, ...options });
          // The hot model's end of text is a token like any other here: the reference does not stop at it.
          expect(tokens).toHaveLength(TOKENS);
          expectSampledAsReference(weights, HOT_PROMPT_IDS, { maxTokens: TOKENS, eotId: null, ...options }, tokens, kernel, JSON.stringify(options));
        }
      }
    // Fifteen generations: with plain arrays in WebAssembly, over two minutes on a busy 2-core machine.
    }, 360_000);
});
