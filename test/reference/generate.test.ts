import { describe, expect, it } from 'vitest';
import { generate } from '../../src/reference/generate.ts';
import { gpt2 } from '../../src/reference/gpt2.ts';
import { argmax, sample, type SamplingOptions } from '../../src/reference/sample.ts';
import { tinyConfig, tinyWeights } from './tiny-weights.ts';

const config = tinyConfig({ n_ctx: 12, vocab_size: 11 });
const weights = tinyWeights(config, 11);
const prompt = [1, 2, 3];

/** The slow way: a full forward pass over the whole sequence for every new token, no cache. */
function generateWithoutCache(ids: number[], n: number, options: SamplingOptions): number[] {
  const sequence = [...ids];
  for (let draw = 0; draw < n; draw++) sequence.push(sample(gpt2(weights, sequence).at(-1)!, { ...options, draw }));
  return sequence.slice(ids.length);
}

describe('generate', () => {
  it('greedy: each token is the argmax of a full pass over the sequence so far', () => {
    const out = generate(weights, prompt, { maxTokens: 6, eotId: null });
    expect(out).toEqual(generateWithoutCache(prompt, 6, {}));
    expect(out[0]).toBe(argmax(gpt2(weights, prompt)[2]));
  });

  it('sampled: the same tokens as sampling full passes with the same seed and steps', () => {
    const options = { temperature: 1.3, topK: 8, topP: 0.9, seed: 4 };
    expect(generate(weights, prompt, { ...options, maxTokens: 7, eotId: null })).toEqual(generateWithoutCache(prompt, 7, options));
  });

  it('stops at maxTokens and when the context is full', () => {
    expect(generate(weights, prompt, { maxTokens: 0, eotId: null })).toEqual([]);
    expect(generate(weights, prompt, { maxTokens: 2, eotId: null })).toHaveLength(2);
    expect(generate(weights, prompt, { maxTokens: 50, eotId: null })).toHaveLength(config.n_ctx - prompt.length);
    expect(generate(weights, Array(config.n_ctx).fill(0), { maxTokens: 5, eotId: null })).toEqual([]);
  });

  it('stops at eotId without returning it', () => {
    const greedy = generate(weights, prompt, { maxTokens: 6, eotId: null });
    const eot = greedy[2];
    expect(generate(weights, prompt, { maxTokens: 6, eotId: eot })).toEqual(greedy.slice(0, greedy.indexOf(eot)));
  });

  it('rejects an empty or too long prompt and bad options', () => {
    expect(() => generate(weights, [], { maxTokens: 1, eotId: null })).toThrow(/at least one token/);
    expect(() => generate(weights, Array(13).fill(0), { maxTokens: 1, eotId: null })).toThrow(/n_ctx = 12/);
    expect(() => generate(weights, prompt, { maxTokens: -1, eotId: null })).toThrow(/maxTokens/);
    expect(() => generate(weights, prompt, { maxTokens: 1, topP: 2, eotId: null })).toThrow(/topP/);
  });
});
