/**
 * GPT-2's forward pass in float64 with plain loops: the specification every SQL stage is tested against.
 *
 * Read it top to bottom, like picoGPT's gpt2.py. An activation is a `Matrix`: one Float64Array row per
 * position. Weights are flat row-major arrays in Hugging Face's Conv1D layout [in, out] (weights.ts).
 * Shape letters: T positions fed, Tk positions attended to (cached ones included), C = n_embd,
 * V = vocab_size, NH = n_head, HS = C / NH.
 *
 * SQL stages and their reference functions: embed -> embed; ln_1, ln_2, ln_f -> layerNorm;
 * attn -> attn (attnHead per head); mlp -> mlp; logits -> logits; sample -> sample.ts.
 *
 * Incremental decoding: `transformer` appends the keys and values of the positions it is fed to a
 * KvCache and attends over everything in it, so the full pass `gpt2` is a prefill on an empty cache and
 * `step` feeds one more token. An optional `Recorder` receives every intermediate under llm.c's name
 * (trace.ts); without one, nothing extra is kept.
 */
import type { Gpt2Config } from '../checkpoint/types.ts';
import type { Gpt2BlockWeights, Gpt2Weights } from './weights.ts';

/** One vector: [n]. */
export type Vector = Float64Array;
/** One row per position: [T, n]. Rows of `preatt`/`att` have only the unmasked positions: [T, <=Tk]. */
export type Matrix = Float64Array[];
/** One block's keys and values of every position fed so far: [Tk, C] each (heads side by side, as c_attn makes them). */
export type BlockKvCache = { k: Matrix; v: Matrix };
/** The keys/values cache of incremental decoding: one BlockKvCache per block. */
export type KvCache = BlockKvCache[];
/** Intermediates, named as in llm.c. q, k, v, preatt and att are per head. */
export type ActivationName = 'encoded' | 'ln1' | 'q' | 'k' | 'v' | 'preatt' | 'att' | 'atty' | 'attproj'
  | 'residual2' | 'ln2' | 'fch' | 'fch_gelu' | 'fcproj' | 'residual3' | 'lnf';
export type Activations = Partial<Record<ActivationName, Matrix>>;
/** Receives intermediates as they are computed; `block` and `head` say where (absent outside blocks/heads). */
export type Recorder = (activations: Activations, block?: number, head?: number) => void;
export type BlockRecorder = (activations: Activations, head?: number) => void;
export type HeadRecorder = (activations: Activations) => void;

/** GELU, tanh approximation (GPT-2's gelu_new), with x + 0.044715·x³ written x·(1 + 0.044715·x²) as the SQL does. */
export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * x * (1 + 0.044715 * x * x)));
}

/** Probabilities from scores. */
export function softmax(x: Vector): Vector {
  const max = x.reduce((m, xi) => Math.max(m, xi), -Infinity); // subtracting it keeps exp() finite
  const e = x.map((xi) => Math.exp(xi - max)); // [n] -> [n]
  const total = sum(e); // [n] -> []
  return e.map((ei) => ei / total); // [n] -> [n], sums to 1
}

/** Normalizes each row to mean 0 and variance 1, then scales by g and shifts by b (stages ln_1, ln_2, ln_f). */
export function layerNorm(x: Matrix, g: Vector, b: Vector, eps: number): Matrix {
  return x.map((xt) => {
    const mean = sum(xt) / xt.length; // [C] -> []
    const variance = sum(xt.map((xi) => (xi - mean) * (xi - mean))) / xt.length; // [C] -> [], biased (divides by C)
    return xt.map((xi, i) => g[i] * ((xi - mean) / Math.sqrt(variance + eps)) + b[i]); // [C] -> [C]
  });
}

/** x @ w + b, with w in Conv1D layout [in, out]. */
export function linear(x: Matrix, w: Vector, b: Vector): Matrix {
  const nOut = b.length;
  return x.map((xt) => {
    const y = new Float64Array(nOut); // [out]
    for (let i = 0; i < xt.length; i++) { // [in] @ [in, out] -> [out], one row of w at a time
      const xi = xt[i], row = i * nOut;
      for (let j = 0; j < nOut; j++) y[j] += xi * w[row + j];
    }
    return y.map((yj, j) => yj + b[j]); // [out] + [out] -> [out]
  });
}

/** Token embedding plus position embedding; positions start at `start` (the number of cached positions). */
export function embed(weights: Gpt2Weights, ids: number[], start = 0): Matrix {
  const { n_embd: C, n_ctx, vocab_size: V } = weights.config;
  if (start + ids.length > n_ctx) {
    throw new RangeError(`${start + ids.length} positions exceed the context length n_ctx = ${n_ctx}; use a shorter prompt or fewer new tokens`);
  }
  return ids.map((id, t) => {
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new RangeError(`token id ${id} is outside the vocabulary [0, ${V})`);
    const x = new Float64Array(C); // [C]
    for (let c = 0; c < C; c++) x[c] = weights.wte[id * C + c] + weights.wpe[(start + t) * C + c]; // wte[id] + wpe[position]
    return x;
  }); // [T] -> [T, C]
}

/** Causal self-attention of one head: softmax(q kᵀ / sqrt(HS)) v. Query t is position Tk - T + t and sees keys 0..that. */
export function attnHead(q: Matrix, k: Matrix, v: Matrix, record?: HeadRecorder): Matrix {
  const past = k.length - q.length; // positions that were cached before q's first one
  const preatt = q.map((qt, t) => // [T, HS] @ [Tk, HS]ᵀ -> [T, <=Tk]: masked (future) positions are left out
    Float64Array.from(k.slice(0, past + t + 1), (ks) => dot(qt, ks) / Math.sqrt(qt.length)));
  const att = preatt.map(softmax); // [T, <=Tk] -> [T, <=Tk], each row sums to 1
  record?.({ q, k, v, preatt, att });
  return att.map((at) => weightedSum(at, v)); // [T, <=Tk] @ [Tk, HS] -> [T, HS]
}

/** Multi-head attention (stage `attn`); appends this call's keys and values to the block's cache. */
export function attn(x: Matrix, block: Gpt2BlockWeights, cache: BlockKvCache, nHead: number, record?: BlockRecorder): Matrix {
  const C = block.c_proj_b.length, HS = C / nHead;
  const qkv = linear(x, block.c_attn_w, block.c_attn_b); // [T, C] -> [T, 3*C]
  cache.k.push(...columns(qkv, C, C)); // [T, 3*C] -> [T, C], cache k: [Tk, C]
  cache.v.push(...columns(qkv, 2 * C, C)); // [T, 3*C] -> [T, C], cache v: [Tk, C]
  const heads = range(nHead).map((h) => attnHead( // NH x ([T, HS], [Tk, HS], [Tk, HS]) -> [NH, T, HS]
    columns(qkv, h * HS, HS), columns(cache.k, h * HS, HS), columns(cache.v, h * HS, HS),
    record && ((activations) => record(activations, h))));
  const atty = concatHeads(heads); // [NH, T, HS] -> [T, C]
  record?.({ atty });
  return linear(atty, block.c_proj_w, block.c_proj_b); // [T, C] -> [T, C]
}

/** The position-wise feed-forward network (stage `mlp`). */
export function mlp(x: Matrix, block: Gpt2BlockWeights, record?: BlockRecorder): Matrix {
  const fch = linear(x, block.mlp_c_fc_w, block.mlp_c_fc_b); // [T, C] -> [T, 4*C]
  const fchGelu = fch.map((h) => h.map(gelu)); // [T, 4*C] -> [T, 4*C]
  record?.({ fch, fch_gelu: fchGelu });
  return linear(fchGelu, block.mlp_c_proj_w, block.mlp_c_proj_b); // [T, 4*C] -> [T, C]
}

/** One block: attention then MLP, each on a layer-normed copy added back to the residual stream. */
export function transformerBlock(x: Matrix, block: Gpt2BlockWeights, cache: BlockKvCache, config: Gpt2Config, record?: BlockRecorder): Matrix {
  const eps = config.layer_norm_epsilon;
  const ln1 = layerNorm(x, block.ln_1_g, block.ln_1_b, eps); // [T, C] -> [T, C]
  const attproj = attn(ln1, block, cache, config.n_head, record); // [T, C] -> [T, C]
  const residual2 = add(x, attproj); // [T, C] + [T, C] -> [T, C]
  const ln2 = layerNorm(residual2, block.ln_2_g, block.ln_2_b, eps); // [T, C] -> [T, C]
  const fcproj = mlp(ln2, block, record); // [T, C] -> [T, C]
  const residual3 = add(residual2, fcproj); // [T, C] + [T, C] -> [T, C]
  record?.({ ln1, attproj, residual2, ln2, fcproj, residual3 });
  return residual3;
}

/** Embeddings, every block and ln_f for the positions after the cached ones (the cache grows by ids.length). */
export function transformer(weights: Gpt2Weights, ids: number[], cache: KvCache, record?: Recorder): Matrix {
  const encoded = embed(weights, ids, cache[0].k.length); // [T] -> [T, C]
  record?.({ encoded });
  let x = encoded;
  weights.blocks.forEach((block, i) => {
    x = transformerBlock(x, block, cache[i], weights.config, record && ((activations, head) => record(activations, i, head))); // [T, C] -> [T, C]
  });
  const lnf = layerNorm(x, weights.ln_f_g, weights.ln_f_b, weights.config.layer_norm_epsilon); // [T, C] -> [T, C]
  record?.({ lnf });
  return lnf;
}

/** Projection onto the vocabulary with lm_head (wte when tied). */
export function logits(weights: Gpt2Weights, x: Matrix): Matrix {
  const { n_embd: C, vocab_size: V } = weights.config;
  return x.map((xt) => Float64Array.from({ length: V }, (_, id) => dot(xt, weights.lm_head.subarray(id * C, (id + 1) * C)))); // [T, C] @ [V, C]ᵀ -> [T, V]
}

/**
 * The full forward pass: logits for every position.
 *
 * @example
 * const out = gpt2(weights, [15496, 11, 995]); // out[2] = logits [V] of the token after "Hello, world"
 */
export function gpt2(weights: Gpt2Weights, ids: number[]): Matrix {
  return logits(weights, transformer(weights, ids, newKvCache(weights))); // [T] -> [T, V]
}

/** An empty keys/values cache for incremental decoding. */
export function newKvCache(weights: Gpt2Weights): KvCache {
  return weights.blocks.map(() => ({ k: [], v: [] }));
}

/**
 * Feeds the prompt: returns its keys/values cache and the logits of its last position.
 *
 * @example
 * const { cache, logits } = prefill(weights, promptIds); // logits: [V]
 * const next = step(weights, cache, argmax(logits));      // [V], the cache now holds one more position
 */
export function prefill(weights: Gpt2Weights, ids: number[]): { cache: KvCache; logits: Vector } {
  if (ids.length === 0) throw new RangeError('prefill needs at least one token');
  const cache = newKvCache(weights);
  const x = transformer(weights, ids, cache); // [T] -> [T, C]
  return { cache, logits: logits(weights, x.slice(-1))[0] }; // [1, C] -> [V]
}

/** Feeds one more token after the cached positions (appending to `cache`); returns its logits [V]. */
export function step(weights: Gpt2Weights, cache: KvCache, id: number): Vector {
  return logits(weights, transformer(weights, [id], cache))[0]; // [1] -> [1, C] -> [V]
}

function sum(x: Vector): number {
  return x.reduce((s, xi) => s + xi, 0);
}

function dot(a: Vector, b: Vector): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function add(a: Matrix, b: Matrix): Matrix {
  return a.map((at, t) => at.map((ai, i) => ai + b[t][i]));
}

function weightedSum(a: Vector, rows: Matrix): Vector { // [n] @ [n, m] -> [m]
  const y = new Float64Array(rows[0].length);
  a.forEach((aj, j) => rows[j].forEach((r, i) => { y[i] += aj * r; }));
  return y;
}

function columns(x: Matrix, start: number, width: number): Matrix { // [T, n] -> [T, width]
  return x.map((xt) => xt.subarray(start, start + width));
}

function concatHeads(heads: Matrix[]): Matrix { // [NH, T, HS] -> [T, NH*HS]
  return heads[0].map((_, t) => {
    const row = new Float64Array(heads.length * heads[0][t].length);
    heads.forEach((head, h) => row.set(head[t], h * head[t].length));
    return row;
  });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
