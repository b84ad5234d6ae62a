import { describe, expect, it } from 'vitest';
import type { Checkpoint, TensorInfo } from '../../src/checkpoint/types.ts';
import { gpt2 } from '../../src/reference/gpt2.ts';
import { loadReferenceWeights, type Gpt2BlockWeights, type Gpt2Weights } from '../../src/reference/weights.ts';
import { tinyConfig, tinyWeights } from './tiny-weights.ts';

/** An in-memory checkpoint holding float32 copies of the given weights under their canonical names. */
function fakeCheckpoint(weights: Gpt2Weights, tied: boolean): Checkpoint {
  const tensors = new Map<string, Float32Array>([
    ['wte.weight', Float32Array.from(weights.wte)], ['wpe.weight', Float32Array.from(weights.wpe)],
    ['ln_f.weight', Float32Array.from(weights.ln_f_g)], ['ln_f.bias', Float32Array.from(weights.ln_f_b)],
  ]);
  if (!tied) tensors.set('lm_head.weight', Float32Array.from(weights.lm_head));
  weights.blocks.forEach((b, i) => {
    const names: Record<string, Float64Array> = {
      'ln_1.weight': b.ln_1_g, 'ln_1.bias': b.ln_1_b, 'attn.c_attn.weight': b.c_attn_w, 'attn.c_attn.bias': b.c_attn_b,
      'attn.c_proj.weight': b.c_proj_w, 'attn.c_proj.bias': b.c_proj_b, 'ln_2.weight': b.ln_2_g, 'ln_2.bias': b.ln_2_b,
      'mlp.c_fc.weight': b.mlp_c_fc_w, 'mlp.c_fc.bias': b.mlp_c_fc_b, 'mlp.c_proj.weight': b.mlp_c_proj_w, 'mlp.c_proj.bias': b.mlp_c_proj_b,
    };
    for (const [name, values] of Object.entries(names)) tensors.set(`h.${i}.${name}`, Float32Array.from(values));
  });
  return {
    dir: '/nowhere', config: weights.config, tokenizer: { encoder: new Map(), merges: [] }, tiedLmHead: tied,
    tensors: [...tensors.keys()].map((name): TensorInfo => ({ name, dtype: 'F32', shape: [tensors.get(name)!.length] })),
    read: async (name) => {
      const values = tensors.get(name);
      if (!values) throw new Error(`no tensor ${name}`);
      return values;
    },
    close: async () => {},
  };
}

/** The weights rounded to float32 and back, as a float32 checkpoint stores them. */
function roundToFloat32(w: Gpt2Weights): Gpt2Weights {
  const round = (x: Float64Array) => Float64Array.from(Float32Array.from(x));
  const blocks = w.blocks.map((b) => Object.fromEntries(Object.entries(b).map(([name, x]) => [name, round(x)])) as unknown as Gpt2BlockWeights);
  return { config: w.config, wte: round(w.wte), wpe: round(w.wpe), blocks, ln_f_g: round(w.ln_f_g), ln_f_b: round(w.ln_f_b), lm_head: round(w.lm_head) };
}

describe('loadReferenceWeights', () => {
  it('reads every tensor by its canonical name and widens float32 to float64 exactly', async () => {
    const original = tinyWeights(tinyConfig(), 2, false);
    const loaded = await loadReferenceWeights(fakeCheckpoint(original, false));
    const expected = roundToFloat32(original);
    expect(loaded).toEqual(expected);
    expect(gpt2(loaded, [1, 2])).toEqual(gpt2(expected, [1, 2]));
  });

  it('shares wte as lm_head when the head is tied', async () => {
    const loaded = await loadReferenceWeights(fakeCheckpoint(tinyWeights(tinyConfig(), 2, true), true));
    expect(loaded.lm_head).toBe(loaded.wte);
  });

  it('says which tensor does not match config.json', async () => {
    const checkpoint = fakeCheckpoint(tinyWeights(tinyConfig()), true);
    checkpoint.config = { ...checkpoint.config, n_ctx: 32 };
    await expect(loadReferenceWeights(checkpoint)).rejects.toThrow(/tensor wpe.weight has 128 values but config.json implies \[32, 8\]/);
  });
});
