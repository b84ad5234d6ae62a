import { describe, expect, it } from 'vitest';
import { gelu, gpt2, newKvCache, prefill } from '../../src/reference/gpt2.ts';
import { gpt2Trace } from '../../src/reference/trace.ts';
import { expectClose } from './expect-close.ts';
import { tinyConfig, tinyWeights } from './tiny-weights.ts';

// Each check redoes one operation in a different order; float64 rounding stays far below this.
const FLOAT64_TOLERANCE = 1e-12;

const config = tinyConfig({ n_head: 2, n_embd: 8 });
const weights = tinyWeights(config, 5);
const [C, NH, HS] = [config.n_embd, config.n_head, config.n_embd / config.n_head];
const ids = [3, 1, 4, 1, 5];
const trace = gpt2Trace(weights, ids);

/** x @ w + b for one row, with w [in, out], computed column by column. */
const affine = (x: Float64Array, w: Float64Array, b: Float64Array) =>
  Array.from(b, (bj, j) => Array.from(x).reduce((s, xi, i) => s + xi * w[i * b.length + j], 0) + bj);

describe('gpt2Trace', () => {
  it('ends with the same logits as gpt2, and probs that are their softmax', () => {
    expect(trace.tokens).toEqual(ids);
    expect(trace.logits).toEqual(gpt2(weights, ids));
    for (const row of trace.probs) expectClose(row.reduce((s, p) => s + p, 0), 1, 1e-15, 'sum of probs');
  });

  it('records per-head q, k, v, scaled causal scores and attention weights', () => {
    trace.blocks.forEach((block, b) => {
      const qkv = block.ln1.map((x) => affine(x, weights.blocks[b].c_attn_w, weights.blocks[b].c_attn_b));
      for (let h = 0; h < NH; h++) {
        const part = (offset: number) => qkv.map((row) => row.slice(offset + h * HS, offset + (h + 1) * HS));
        expectClose(block.q[h], part(0), FLOAT64_TOLERANCE, `block ${b} head ${h} q`);
        expectClose(block.k[h], part(C), FLOAT64_TOLERANCE, `block ${b} head ${h} k`);
        expectClose(block.v[h], part(2 * C), FLOAT64_TOLERANCE, `block ${b} head ${h} v`);
        const scores = part(0).map((q, t) => part(C).slice(0, t + 1).map((k) => q.reduce((s, qi, i) => s + qi * k[i], 0) / Math.sqrt(HS)));
        expectClose(block.preatt[h], scores, FLOAT64_TOLERANCE, `block ${b} head ${h} preatt`);
        const weightsOfRow = scores.map((row) => row.map((s) => Math.exp(s) / row.reduce((z, r) => z + Math.exp(r), 0)));
        expectClose(block.att[h], weightsOfRow, FLOAT64_TOLERANCE, `block ${b} head ${h} att`);
      }
    });
  });

  it('records atty, the residual stream and the MLP under llm.c names', () => {
    trace.blocks.forEach((block, b) => {
      const w = weights.blocks[b];
      const atty = ids.map((_, t) => Array.from({ length: C }, (_, c) => {
        const [h, d] = [Math.floor(c / HS), c % HS];
        return block.att[h][t].reduce((s, a, j) => s + a * block.v[h][j][d], 0);
      }));
      expectClose(block.atty, atty, FLOAT64_TOLERANCE, `block ${b} atty`);
      expectClose(block.attproj, block.atty.map((y) => affine(y, w.c_proj_w, w.c_proj_b)), FLOAT64_TOLERANCE, `block ${b} attproj`);
      const input = b === 0 ? trace.encoded : trace.blocks[b - 1].residual3;
      expectClose(block.residual2, input.map((x, t) => x.map((xi, i) => xi + block.attproj[t][i])), 0, `block ${b} residual2`);
      expectClose(block.fch, block.ln2.map((x) => affine(x, w.mlp_c_fc_w, w.mlp_c_fc_b)), FLOAT64_TOLERANCE, `block ${b} fch`);
      expectClose(block.fch_gelu, block.fch.map((row) => Array.from(row, gelu)), 0, `block ${b} fch_gelu`);
      expectClose(block.fcproj, block.fch_gelu.map((x) => affine(x, w.mlp_c_proj_w, w.mlp_c_proj_b)), FLOAT64_TOLERANCE, `block ${b} fcproj`);
      expectClose(block.residual3, block.residual2.map((x, t) => x.map((xi, i) => xi + block.fcproj[t][i])), 0, `block ${b} residual3`);
    });
    expect(trace.encoded[0]).toEqual(Float64Array.from({ length: C }, (_, c) => weights.wte[3 * C + c] + weights.wpe[c]));
  });

  it('traces one incremental step: new positions only, keys and values of every position', () => {
    const { cache } = prefill(weights, ids.slice(0, 4));
    const stepTrace = gpt2Trace(weights, [ids[4]], cache);
    expect(stepTrace.tokens).toEqual([5]);
    expect(stepTrace.blocks[0].k[0].length).toBe(5);
    expect(stepTrace.blocks[1].preatt[1][0].length).toBe(5);
    expectClose(stepTrace.logits, trace.logits.slice(4), FLOAT64_TOLERANCE, 'step logits vs full trace');
    expectClose(stepTrace.blocks[1].att, trace.blocks[1].att.map((head) => head.slice(4)), FLOAT64_TOLERANCE, 'step att');
    expect(newKvCache(weights).length).toBe(config.n_layer);
  });
});
