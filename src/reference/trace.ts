/**
 * Every intermediate of GPT-2's forward pass under llm.c's names, so a database trace (src/trace/) can
 * be compared with the reference name by name. Shapes use the letters of gpt2.ts.
 */
import { logits, newKvCache, softmax, transformer, type Activations, type KvCache, type Matrix, type Recorder } from './gpt2.ts';
import type { Gpt2Weights } from './weights.ts';

/** One block's intermediates. Per-head values are indexed [head][position][...]. */
export interface BlockTrace {
  ln1: Matrix; // [T, C]
  q: Matrix[]; // [NH, T, HS]
  k: Matrix[]; // [NH, Tk, HS]
  v: Matrix[]; // [NH, Tk, HS]
  preatt: Matrix[]; // [NH, T, <=Tk] scaled scores; row t holds the Tk - T + t + 1 unmasked positions
  att: Matrix[]; // [NH, T, <=Tk] attention weights (softmax of preatt)
  atty: Matrix; // [T, C] attention output, heads concatenated, before c_proj
  attproj: Matrix; // [T, C] after c_proj
  residual2: Matrix; // [T, C] block input + attproj
  ln2: Matrix; // [T, C]
  fch: Matrix; // [T, 4*C] before gelu
  fch_gelu: Matrix; // [T, 4*C]
  fcproj: Matrix; // [T, C]
  residual3: Matrix; // [T, C] block output: residual2 + fcproj
}

export interface Gpt2Trace {
  tokens: number[]; // [T]
  encoded: Matrix; // [T, C] wte + wpe
  blocks: BlockTrace[]; // n_layer of them
  lnf: Matrix; // [T, C]
  logits: Matrix; // [T, V]
  probs: Matrix; // [T, V] softmax of logits (temperature 1)
}

type PerHead = 'q' | 'k' | 'v' | 'preatt' | 'att';

/**
 * Runs the forward pass and keeps every intermediate. With a `cache`, traces one incremental call:
 * `tokens` are the new positions only, while k and v cover every cached position too.
 *
 * @example
 * const trace = gpt2Trace(weights, [15496, 11]);
 * trace.blocks[0].att[3][1]; // head 3's attention weights for position 1: [2]
 */
export function gpt2Trace(weights: Gpt2Weights, ids: number[], cache: KvCache = newKvCache(weights)): Gpt2Trace {
  const top: Activations = {};
  const blocks = weights.blocks.map(() => ({ q: [], k: [], v: [], preatt: [], att: [] }) as unknown as BlockTrace);
  const record: Recorder = (activations, block, head) => {
    if (block === undefined) Object.assign(top, activations);
    else if (head === undefined) Object.assign(blocks[block], activations);
    else for (const [name, value] of Object.entries(activations)) blocks[block][name as PerHead][head] = value;
  };
  const lnf = transformer(weights, ids, cache, record); // [T] -> [T, C]
  const out = logits(weights, lnf); // [T, C] -> [T, V]
  return { tokens: [...ids], encoded: top.encoded!, blocks, lnf, logits: out, probs: out.map(softmax) };
}
