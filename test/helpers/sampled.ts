/**
 * Sampled tokens against the reference generator (src/reference/generate.ts), step by step.
 *
 * A kernel whose logits are the reference's to float8 precision (array, cube) must choose every
 * token the reference chooses: the check is equality. pgvector multiplies and sums in float4, so
 * its logits are the reference's only within LOGITS_TOLERANCE.vector; where the draw u falls that
 * close to the boundary between two tokens' running sums of probability, float4 may put it on the
 * other side, and from there the texts differ. So each step is checked on the engine's own history
 * (the reference is fed the tokens the engine chose, and samples with the same seed and draw): the
 * engine's token is the reference's choice, or, with a float4 kernel only, one the reference would
 * choose had every logit moved by at most the tolerance: u within its interval of running sums,
 * the interval widened by the tokens whose logits are that close to its own (they may rank either
 * way) and by the change such moves make to the probabilities. Each such step is named in a
 * message, with how far u was from the reference's boundary; any other difference fails.
 */
import { expect } from 'vitest';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Database } from '../../src/db/database.ts';
import { endOfTextId, generate } from '../../src/engine/generate.ts';
import { prefill, step, type KvCache } from '../../src/reference/gpt2.ts';
import { argmax, candidates, penalize, sample, uniform, type SamplingOptions } from '../../src/reference/sample.ts';
import type { Gpt2Weights } from '../../src/reference/weights.ts';
import { LOGITS_TOLERANCE } from './numeric.ts';

export interface SampledRun extends SamplingOptions {
  maxTokens: number;
  /** The token that ends generation (the model's <|endoftext|>; null: none), as the reference generator takes it. */
  eotId: number | null;
}

/** Steps where a float4 kernel chose otherwise than the reference, within its tolerance: what a test may log. */
export interface Explained {
  draw: number;
  engine: number;
  reference: number;
  /** |u − the running sum at the nearer edge of the engine token's interval| in the reference. */
  margin: number;
}

/**
 * Fails unless `tokens` (what the engine generated after `prompt` with `run`'s options, on a model
 * of `kernel`) are the reference's, step by step, as the file's header says. Returns the steps a
 * float4 kernel explained by its tolerance.
 *
 * @example
 * expectSampledAsReference(weights, prompt, { maxTokens: 16, temperature: 1, seed: 3 }, tokens, model.kernel, 'the staying client');
 */
export function expectSampledAsReference(weights: Gpt2Weights, prompt: readonly number[], run: SampledRun, tokens: readonly number[], kernel: string, what: string): Explained[] {
  const { eotId, maxTokens } = run;
  const exact = kernel !== 'vector';
  const explained: Explained[] = [];
  let cache: KvCache | undefined;
  let logits: Float64Array = new Float64Array();
  // The engine stopped before max_tokens and n_ctx: it chose <|endoftext|> after its last token.
  const stoppedAtEot = tokens.length < maxTokens && prompt.length + tokens.length < weights.config.n_ctx;
  const chosen = stoppedAtEot && eotId !== null ? [...tokens, eotId] : [...tokens];
  for (let i = 0; i < chosen.length; i++) {
    if (i === 0) ({ cache, logits } = prefill(weights, [...prompt]));
    else logits = step(weights, cache!, chosen[i - 1]);
    const options = { ...run, draw: i, generated: chosen.slice(0, i) }; // the penalties count the tokens chosen before
    const reference = sample(logits, options);
    if (reference === chosen[i]) continue;
    const message = `${what}: draw ${i} chose ${chosen[i]} where the reference (fed the same ${prompt.length + i} tokens) chooses ${reference}`;
    if (exact) expect.fail(`${message}; kernel ${kernel} computes the logits in float8, so the tokens must be equal`);
    const margin = withinTolerance(logits, chosen[i], options, LOGITS_TOLERANCE[kernel]);
    if (margin === null) expect.fail(`${message}, and no move of the logits within ${kernel}'s tolerance ${LOGITS_TOLERANCE[kernel]} makes it the choice`);
    explained.push({ draw: i, engine: chosen[i], reference, margin });
  }
  expect(tokens.length, `${what}: tokens generated`).toBeLessThanOrEqual(maxTokens);
  return explained;
}

/**
 * Whether the reference, its logits each moved by at most `tolerance`, could choose `token`: the
 * distance from u to the token's interval of running sums (0 inside it), or null when too far.
 */
function withinTolerance(raw: Float64Array, token: number, options: SamplingOptions & { draw: number; generated: number[] }, tolerance: number): number | null {
  const logits = penalize(raw, options.generated, options);
  const temperature = options.temperature ?? 0;
  if (temperature === 0) return logits[token] >= logits[argmax(logits)] - 2 * tolerance ? 0 : null;
  // Kept as the reference keeps them, and the tokens at the edge of top-k or top-p within reach.
  const kept = candidates(logits, options);
  const own = logits[token];
  const lowest = logits[kept[kept.length - 1].id];
  if (!kept.some((c) => c.id === token) && own < lowest - 2 * tolerance) return null;
  let before = 0; // the running sum of the tokens that rank before it however the logits move
  let through = 0; // … and of those that may rank before it or are it
  for (const c of kept) {
    if (logits[c.id] > own + 2 * tolerance) before += c.prob;
    if (logits[c.id] >= own - 2 * tolerance) through += c.prob;
  }
  if (!kept.some((c) => c.id === token)) through += kept[kept.length - 1].prob; // it may take the last place
  // Each probability moves by a factor of at most e^(±2·tolerance/temperature), and the
  // renormalizing sums with it: the running sums by at most about 4·tolerance/temperature.
  const slack = 4 * tolerance / temperature + 1e-12;
  const u = uniform(options.seed ?? 0, options.draw);
  const margin = u < before ? before - u : u >= through ? u - through : 0;
  return margin <= slack ? margin : null;
}

/**
 * The engine's tokens for a generation alone (src/engine/generate.ts), checked against the
 * reference step by step (expectSampledAsReference): what a test expects of the same generation
 * made another way (batched, over HTTP, by the CLI, in another process), to the token.
 *
 * @example
 * const expected = await checkedGeneration(db, model, weights, ids, { maxTokens: 6, temperature: 0.9, seed: 3 });
 */
export async function checkedGeneration(db: Database, model: ModelRow, weights: Gpt2Weights, prompt: readonly number[], run: Omit<SampledRun, 'eotId'> & { workers?: number }): Promise<number[]> {
  const eotId = await endOfTextId(db, model);
  const { tokens } = await generate(db, model, prompt, run);
  expectSampledAsReference(weights, prompt, { ...run, eotId }, tokens, model.kernel, `generation of ${JSON.stringify(run)}`);
  return tokens;
}
