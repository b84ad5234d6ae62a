/** What the explorer must show for a prompt, from the reference implementation (src/reference/). */
import { softmax } from '../../src/reference/gpt2.ts';
import { lensDistribution } from '../../src/reference/lens.ts';
import { candidates } from '../../src/reference/sample.ts';
import { gpt2Trace, type Gpt2Trace } from '../../src/reference/trace.ts';
import type { Gpt2Weights } from '../../src/reference/weights.ts';

export interface ReferenceViews {
  trace: Gpt2Trace;
  /** att[block][head][t][s] */
  att(block: number, head: number): number[][];
  /** The last position's logits. */
  logits: Float64Array;
  /** softmax(logits / temperature) of the last position, and what top-k and top-p keep (id → renormalized probability). */
  next(temperature: number, topK: number, topP: number, minP?: number): { probs: Float64Array; kept: Map<number, number> };
  /** The logit lens of `block` at the last position: logits and probabilities over the vocabulary. */
  lens(block: number): { logits: Float64Array; probs: Float64Array };
}

export function referenceViews(weights: Gpt2Weights, ids: number[]): ReferenceViews {
  const trace = gpt2Trace(weights, ids);
  const last = ids.length - 1;
  const logits = trace.logits[last];
  return {
    trace,
    att: (block, head) => trace.blocks[block].att[head].map((row) => [...row]),
    logits,
    next(temperature, topK, topP, minP = 0) {
      const probs = softmax(logits.map((logit) => logit / temperature));
      const kept = new Map(candidates(logits, { temperature, topK, topP, minP }).map(({ id, prob }) => [id, prob]));
      return { probs, kept };
    },
    lens: (block) => lensDistribution(weights, trace, block, last),
  };
}

/** One block's lens as shown (rank 1 first) */
export interface ShownLens { token: number; logit: number; prob: number }

/**
 * Checks a block's lens as shown against the reference: 5 tokens, each one's logit and
 * probability, in order of logit, none of them outside the reference's top 5 (up to a tie within
 * the tolerance, where either order is right). Returns the largest difference.
 */
export function lensMismatch(shown: ShownLens[], reference: { logits: Float64Array; probs: Float64Array }, tolerance: number): string | undefined {
  if (shown.length !== 5) return `${shown.length} tokens instead of 5`;
  const fifth = [...reference.logits].sort((a, b) => b - a)[4];
  for (const [i, row] of shown.entries()) {
    if (Math.abs(row.logit - reference.logits[row.token]) > tolerance) return `rank ${i + 1}: logit ${row.logit} vs the reference's ${reference.logits[row.token]}`;
    if (Math.abs(row.prob - reference.probs[row.token]) > tolerance) return `rank ${i + 1}: probability ${row.prob} vs the reference's ${reference.probs[row.token]}`;
    if (reference.logits[row.token] < fifth - 2 * tolerance) return `rank ${i + 1}: token ${row.token} is not in the reference's top 5`;
    if (i > 0 && row.logit > shown[i - 1].logit) return `rank ${i + 1} has a higher logit than rank ${i}`;
  }
  return undefined;
}
