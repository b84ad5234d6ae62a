/**
 * The logit lens (nostalgebraist, 2020), as the trace's lens table computes it
 * (sql/trace_lens.sql): each block's output at a position through ln_f and the output head, a
 * softmax at temperature 1 over the vocabulary.
 */
import { layerNorm, logits, softmax, type Vector } from './gpt2.ts';
import type { Gpt2Trace } from './trace.ts';
import type { Gpt2Weights } from './weights.ts';

/** The block's full lens distribution at position t: logits and probabilities over the vocabulary. */
export function lensDistribution(weights: Gpt2Weights, trace: Gpt2Trace, block: number, t: number): { logits: Vector; probs: Vector } {
  const x = Float64Array.from(trace.blocks[block].residual3[t]); // [C]
  const [lnf] = layerNorm([x], weights.ln_f_g, weights.ln_f_b, weights.config.layer_norm_epsilon); // [1, C] -> [1, C]
  const [row] = logits(weights, [lnf]); // [1, C] -> [1, V]
  return { logits: row, probs: softmax(row) }; // [V], [V]
}

