/** Small random GPT-2 weights for tests, built directly (no checkpoint), reproducible from a seed. */
import type { Gpt2Config } from '../../src/checkpoint/types.ts';
import type { Gpt2BlockWeights, Gpt2Weights } from '../../src/reference/weights.ts';
import { prng } from '../helpers/prng.ts';

export function tinyConfig(overrides: Partial<Gpt2Config> = {}): Gpt2Config {
  return { model_type: 'gpt2', n_layer: 2, n_head: 2, n_embd: 8, n_ctx: 16, vocab_size: 11, layer_norm_epsilon: 1e-5, ...overrides };
}

/** Random weights: matrices uniform in [-scale, scale], layer-norm gains around 1. */
export function tinyWeights(config: Gpt2Config, seed = 1, tied = true): Gpt2Weights {
  const random = prng(seed);
  const C = config.n_embd;
  const values = (n: number, scale = 0.5, center = 0) => Float64Array.from({ length: n }, () => center + scale * (2 * random() - 1));
  const block = (): Gpt2BlockWeights => ({
    ln_1_g: values(C, 0.2, 1), ln_1_b: values(C, 0.1),
    c_attn_w: values(C * 3 * C), c_attn_b: values(3 * C, 0.1),
    c_proj_w: values(C * C), c_proj_b: values(C, 0.1),
    ln_2_g: values(C, 0.2, 1), ln_2_b: values(C, 0.1),
    mlp_c_fc_w: values(C * 4 * C), mlp_c_fc_b: values(4 * C, 0.1),
    mlp_c_proj_w: values(4 * C * C), mlp_c_proj_b: values(C, 0.1),
  });
  const wte = values(config.vocab_size * C, 1);
  return {
    config,
    wte,
    wpe: values(config.n_ctx * C, 0.3),
    blocks: Array.from({ length: config.n_layer }, block),
    ln_f_g: values(C, 0.2, 1),
    ln_f_b: values(C, 0.1),
    lm_head: tied ? wte : values(config.vocab_size * C, 1),
  };
}
