import type { Gpt2Config } from './types.ts';

/** A tensor GPT-2 needs: canonical name and the shape config.json implies. */
export interface TensorSpec {
  name: string;
  shape: number[];
}

/**
 * Every parameter of GPT-2 in state-dict order, with its shape. Hugging Face stores the linear
 * layers as Conv1D, so weights are [in, out]: c_attn.weight is [C, 3*C].
 *
 * @example
 * gpt2Tensors(config)[0]; // { name: 'wte.weight', shape: [50257, 768] }
 */
export function gpt2Tensors({ n_layer, n_embd: C, n_ctx, vocab_size: V }: Gpt2Config): TensorSpec[] {
  const block = (i: number): TensorSpec[] => [
    { name: `h.${i}.ln_1.weight`, shape: [C] },
    { name: `h.${i}.ln_1.bias`, shape: [C] },
    { name: `h.${i}.attn.c_attn.weight`, shape: [C, 3 * C] },
    { name: `h.${i}.attn.c_attn.bias`, shape: [3 * C] },
    { name: `h.${i}.attn.c_proj.weight`, shape: [C, C] },
    { name: `h.${i}.attn.c_proj.bias`, shape: [C] },
    { name: `h.${i}.ln_2.weight`, shape: [C] },
    { name: `h.${i}.ln_2.bias`, shape: [C] },
    { name: `h.${i}.mlp.c_fc.weight`, shape: [C, 4 * C] },
    { name: `h.${i}.mlp.c_fc.bias`, shape: [4 * C] },
    { name: `h.${i}.mlp.c_proj.weight`, shape: [4 * C, C] },
    { name: `h.${i}.mlp.c_proj.bias`, shape: [C] },
  ];
  return [
    { name: 'wte.weight', shape: [V, C] },
    { name: 'wpe.weight', shape: [n_ctx, C] },
    ...Array.from({ length: n_layer }, (_, i) => block(i)).flat(),
    { name: 'ln_f.weight', shape: [C] },
    { name: 'ln_f.bias', shape: [C] },
  ];
}

/** The output projection; optional in a checkpoint because GPT-2 ties it to wte. */
export function lmHeadTensor({ n_embd, vocab_size }: Gpt2Config): TensorSpec {
  return { name: 'lm_head.weight', shape: [vocab_size, n_embd] };
}

/** Drops the `transformer.` prefix that GPT2LMHeadModel's state dict puts on every key but lm_head's. */
export function canonicalName(key: string): string {
  return key.startsWith('transformer.') ? key.slice('transformer.'.length) : key;
}

/** The causal mask buffers some checkpoints carry: constants, not parameters. */
export function isBuffer(name: string): boolean {
  return /^h\.\d+\.attn\.(bias|masked_bias)$/.test(name);
}
