/**
 * Text generation with the keys/values cache: prefill the prompt once, then one `step` per new token,
 * choosing each token with the sampling rules of sample.ts.
 *
 * Stop rules, the same as the SQL engine's: generation stops
 *  - when the sampled token is eotId (<|endoftext|>): that token is NOT returned;
 *  - after maxTokens new tokens;
 *  - when prompt + new tokens reach n_ctx (no position is left for another token).
 */
import { prefill, step } from './gpt2.ts';
import { checkSamplingOptions, sample, type SamplingOptions } from './sample.ts';
import type { Gpt2Weights } from './weights.ts';

export interface GenerateOptions extends SamplingOptions {
  /** The most new tokens to return. */
  maxTokens: number;
  /** The token that ends generation, the model's <|endoftext|> (its vocabulary's); null never stops early. */
  eotId: number | null;
}

/**
 * Generates new token ids after a prompt (the prompt itself is not returned).
 *
 * @example
 * generate(weights, [15496, 11], { maxTokens: 5, eotId: 50256 });                     // greedy
 * generate(weights, [15496, 11], { maxTokens: 5, eotId: 50256, temperature: 0.8, seed: 1 });
 */
export function generate(weights: Gpt2Weights, promptIds: number[], options: GenerateOptions): number[] {
  const { maxTokens, eotId } = options;
  const { n_ctx } = weights.config;
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new RangeError(`maxTokens must be an integer >= 0, got ${maxTokens}`);
  if (promptIds.length === 0) throw new RangeError('the prompt needs at least one token');
  if (promptIds.length > n_ctx) throw new RangeError(`the prompt has ${promptIds.length} tokens but the context holds n_ctx = ${n_ctx}; shorten it`);
  checkSamplingOptions(options);

  const newIds: number[] = [];
  const { cache, logits: promptLogits } = prefill(weights, promptIds); // logits of the last prompt position: [V]
  let logits = promptLogits;
  for (let i = 0; i < maxTokens && promptIds.length + i < n_ctx; i++) {
    if (i > 0) logits = step(weights, cache, newIds[i - 1]); // feed the previous new token: [V]
    const id = sample(logits, { ...options, draw: i, generated: newIds });
    if (id === eotId) break;
    newIds.push(id);
  }
  return newIds;
}
