import { describe, expect, it } from 'vitest';
import { embed, gelu, gpt2, layerNorm, linear, prefill, softmax, step } from '../../src/reference/gpt2.ts';
import type { Gpt2Weights } from '../../src/reference/weights.ts';
import { expectClose } from './expect-close.ts';
import { prng } from '../helpers/prng.ts';
import { tinyConfig, tinyWeights } from './tiny-weights.ts';

// Float64 rounding of a few dozen operations stays near 1e-15; 1e-12 leaves room without hiding a bug.
const FLOAT64_TOLERANCE = 1e-12;

describe('gelu', () => {
  it('matches known values of the tanh approximation', () => {
    expect(gelu(0)).toBe(0);
    expectClose(gelu(1), 0.8411919906082768, 1e-15, 'gelu(1)');
    expectClose(gelu(-1), -0.15880800939172324, 1e-15, 'gelu(-1)');
    expectClose(gelu(10), 10, 1e-12, 'gelu(10) ~ x for large x');
    expectClose(gelu(-10), 0, 1e-12, 'gelu(-10) ~ 0 for very negative x');
  });
});

describe('softmax', () => {
  it('sums to 1 and keeps the order of its inputs', () => {
    const p = softmax(Float64Array.of(0.5, -2, 3, 0));
    expectClose(p.reduce((s, x) => s + x, 0), 1, 1e-15, 'sum of probabilities');
    expect([...p].map((x, i) => [x, i]).sort((a, b) => b[0] - a[0]).map(([, i]) => i)).toEqual([2, 0, 3, 1]);
  });
  it('is stable for logits of ±1e4', () => {
    expectClose(softmax(Float64Array.of(1e4, -1e4, 0)), [1, 0, 0], 1e-15, 'softmax of extremes');
    expectClose(softmax(Float64Array.of(1e4, 1e4)), [0.5, 0.5], 1e-15, 'softmax of equal large logits');
    expectClose(softmax(Float64Array.of(-1e4, -1e4 + Math.log(3))), [0.25, 0.75], 1e-12, 'softmax of large negative logits');
  });
  it('does not change when a constant is added', () => {
    const x = Float64Array.of(0.1, 0.7, -1.3);
    expectClose(softmax(x.map((xi) => xi + 1000)), softmax(x), 1e-12, 'softmax shifted by 1000');
  });
});

describe('layerNorm', () => {
  const random = prng(7);
  const x = Array.from({ length: 4 }, () => Float64Array.from({ length: 16 }, () => 5 * random() - 1));
  const ones = new Float64Array(16).fill(1), zeros = new Float64Array(16);
  const stats = (row: Float64Array) => {
    const mean = row.reduce((s, v) => s + v, 0) / row.length;
    return { mean, variance: row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length };
  };
  it('gives mean 0 and (biased) variance 1 before the gain and bias', () => {
    for (const row of layerNorm(x, ones, zeros, 0)) {
      const { mean, variance } = stats(row);
      expectClose([mean, variance], [0, 1], 1e-12, 'mean and variance of a normalized row');
    }
  });
  it('applies eps inside the square root, then the gain and bias per channel', () => {
    const g = Float64Array.from({ length: 16 }, (_, i) => 1 + i / 10), b = Float64Array.from({ length: 16 }, (_, i) => i - 8);
    const y = layerNorm(x, g, b, 1e-5);
    x.forEach((row, t) => {
      const normalized = y[t].map((yi, i) => (yi - b[i]) / g[i]);
      const { variance } = stats(row);
      expectClose([stats(normalized).mean, stats(normalized).variance], [0, variance / (variance + 1e-5)], 1e-12, 'normalized row');
    });
  });
});

describe('linear', () => {
  it('computes x @ w + b with w laid out [in, out]', () => {
    const w = Float64Array.of(1, 2, 3, /* row 2 */ 4, 5, 6); // [2, 3]
    expectClose(linear([Float64Array.of(1, 2)], w, Float64Array.of(0.5, 0, -1)), [[9.5, 12, 14]], 0, 'x @ w + b');
  });
});

describe('embed', () => {
  const weights = tinyWeights(tinyConfig());
  it('rejects token ids outside the vocabulary and positions beyond n_ctx', () => {
    expect(() => embed(weights, [11])).toThrow(/outside the vocabulary/);
    expect(() => embed(weights, [1, 2], 15)).toThrow(/n_ctx = 16/);
  });
});

describe('gpt2', () => {
  const weights = tinyWeights(tinyConfig());

  it('returns logits [T][V]', () => {
    const out = gpt2(weights, [1, 2, 3]);
    expect(out.map((row) => row.length)).toEqual([11, 11, 11]);
  });

  it('is causal: changing a later token leaves earlier positions untouched', () => {
    const a = gpt2(weights, [1, 2, 3, 4, 5]), b = gpt2(weights, [1, 2, 3, 9, 5]);
    expect(a.slice(0, 3)).toEqual(b.slice(0, 3));
    expect(a[3]).not.toEqual(b[3]);
    expect(a[4]).not.toEqual(b[4]);
  });

  it('gives the same logits incrementally (prefill + step) as in one pass', () => {
    for (const config of [tinyConfig(), tinyConfig({ n_head: 4, n_layer: 3 })]) {
      const w = tinyWeights(config, 3, false);
      const ids = [4, 0, 10, 7, 7, 2, 5, 1];
      const full = gpt2(w, ids);
      for (const split of [1, 3, 8]) {
        const { cache, logits } = prefill(w, ids.slice(0, split));
        const incremental = [logits, ...ids.slice(split).map((id) => step(w, cache, id))];
        expectClose(incremental, full.slice(split - 1), FLOAT64_TOLERANCE, `prefill ${split} + steps vs full pass`);
        expect(cache.map((c) => c.k.length)).toEqual(Array(config.n_layer).fill(ids.length));
      }
    }
  });

  it('passes the input through when every block weight is zero (checked on paper)', () => {
    const w = tinyWeights(tinyConfig({ n_layer: 1, n_head: 1, n_embd: 2, vocab_size: 3 }));
    for (const [name, values] of Object.entries(w.blocks[0])) values.fill(name === 'ln_1_g' || name === 'ln_2_g' ? 1 : 0);
    const wte = Float64Array.of(1, 0, 0, 1, 1, 1);
    Object.assign(w, { wte, lm_head: wte, wpe: new Float64Array(32), ln_f_g: Float64Array.of(1, 1), ln_f_b: Float64Array.of(0, 0) });
    // ln_f([1, 0]) = [0.5, -0.5] / sqrt(0.25 + 1e-5); logits = that @ [[1, 0], [0, 1], [1, 1]]ᵀ
    const a = 0.5 / Math.sqrt(0.25 + 1e-5);
    expectClose(gpt2(w, [0]), [[a, -a, 0]], 1e-15, 'logits of token 0');
  });
});

describe('a hand-computed 1-layer GPT-2 with C = 2, NH = 1', () => {
  type Pair = [number, number];
  const eps = 1e-5;
  // Every weight matrix written as rows [in][out]; the model gets them flattened row-major.
  const W = {
    wte: [[1, 0], [0, 2], [-1, 1]], wpe: [[0.5, -0.5], [0, 0.25]],
    ln_1_g: [1, 2], ln_1_b: [0.1, -0.1],
    c_attn_w: [[0.3, -0.2, 0.5, 0.1, 1.0, 0.2], [0.1, 0.4, -0.3, 0.2, -0.5, 1.0]], c_attn_b: [0, 0.1, 0, 0.05, 0.2, -0.2],
    c_proj_w: [[0.5, -0.1], [0.2, 0.5]], c_proj_b: [0.01, 0.02],
    ln_2_g: [0.9, 1.1], ln_2_b: [0, 0.05],
    mlp_c_fc_w: [[1, -1, 0.5, 0, 2, -0.3, 0.7, 0.1], [0, 1, -0.5, 1, -1, 0.4, 0.2, -0.9]],
    mlp_c_fc_b: [0, 0.1, 0, -0.1, 0, 0.2, 0, 0.3],
    mlp_c_proj_w: [[0.1, 0], [0, 0.1], [0.2, -0.2], [-0.1, 0.3], [0.05, 0.05], [0.3, 0], [0, -0.4], [0.1, 0.1]],
    mlp_c_proj_b: [0, -0.03],
    ln_f_g: [1, -1], ln_f_b: [0, 0.5],
  };
  const flat = (m: number[] | number[][]) => Float64Array.from(m.flat());
  const weights: Gpt2Weights = {
    config: tinyConfig({ n_layer: 1, n_head: 1, n_embd: 2, n_ctx: 2, vocab_size: 3, layer_norm_epsilon: eps }),
    wte: flat(W.wte), wpe: flat(W.wpe), ln_f_g: flat(W.ln_f_g), ln_f_b: flat(W.ln_f_b), lm_head: flat(W.wte),
    blocks: [{
      ln_1_g: flat(W.ln_1_g), ln_1_b: flat(W.ln_1_b), c_attn_w: flat(W.c_attn_w), c_attn_b: flat(W.c_attn_b),
      c_proj_w: flat(W.c_proj_w), c_proj_b: flat(W.c_proj_b), ln_2_g: flat(W.ln_2_g), ln_2_b: flat(W.ln_2_b),
      mlp_c_fc_w: flat(W.mlp_c_fc_w), mlp_c_fc_b: flat(W.mlp_c_fc_b), mlp_c_proj_w: flat(W.mlp_c_proj_w), mlp_c_proj_b: flat(W.mlp_c_proj_b),
    }],
  };

  // For two channels, x - mean = (+d, -d) with d = (x0 - x1) / 2 and the variance is d².
  const norm = (x: Pair, g: number[], b: number[]): Pair => {
    const d = (x[0] - x[1]) / 2, s = Math.sqrt(d * d + eps);
    return [g[0] * (d / s) + b[0], g[1] * (-d / s) + b[1]];
  };
  // x @ w + b as a sum of w's rows scaled by x's entries.
  const affine = (x: number[], w: number[][], b: number[]) => w.reduce((y, row, i) => y.map((yj, j) => yj + x[i] * row[j]), [...b]);
  const plus = (a: Pair, b: number[]): Pair => [a[0] + b[0], a[1] + b[1]];
  // 0.5 (1 + tanh z) = 1 / (1 + exp(-2z))
  const geluViaSigmoid = (x: number) => x / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

  // Layer norm over two channels only keeps the sign of x0 - x1, so the pairs mix both signs.
  it.each([[[0, 1]], [[1, 0]], [[2, 1]]])('matches logits worked out position by position for ids %j', (ids) => {
    const x = ids.map((id, t) => plus(W.wte[id] as Pair, W.wpe[t]));
    const qkv = x.map((xt) => affine(norm(xt, W.ln_1_g, W.ln_1_b), W.c_attn_w, W.c_attn_b));
    const [q1, k0, k1, v0, v1] = [qkv[1].slice(0, 2), qkv[0].slice(2, 4), qkv[1].slice(2, 4), qkv[0].slice(4), qkv[1].slice(4)];
    // Position 0 sees only itself; position 1 weighs v0 and v1 by a two-way softmax (a sigmoid).
    const s0 = (q1[0] * k0[0] + q1[1] * k0[1]) / Math.SQRT2, s1 = (q1[0] * k1[0] + q1[1] * k1[1]) / Math.SQRT2;
    const w1 = 1 / (1 + Math.exp(s0 - s1));
    const y: Pair[] = [[v0[0], v0[1]], [(1 - w1) * v0[0] + w1 * v1[0], (1 - w1) * v0[1] + w1 * v1[1]]];
    const expected = x.map((xt, t) => {
      const r2 = plus(xt, affine(y[t], W.c_proj_w, W.c_proj_b));
      const h = affine(norm(r2, W.ln_2_g, W.ln_2_b), W.mlp_c_fc_w, W.mlp_c_fc_b).map(geluViaSigmoid);
      const r3 = plus(r2, affine(h, W.mlp_c_proj_w, W.mlp_c_proj_b));
      const f = norm(r3, W.ln_f_g, W.ln_f_b);
      return W.wte.map((e) => f[0] * e[0] + f[1] * e[1]);
    });
    expectClose(gpt2(weights, ids), expected, FLOAT64_TOLERANCE, 'logits of the hand-computed model');
  });
});
