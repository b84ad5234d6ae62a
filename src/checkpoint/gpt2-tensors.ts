import type { Gpt2Config } from './types.ts';

/** A tensor GPT-2 needs: canonical name and the shape config.json implies. */
export interface TensorSpec {
  name: string;
  shape: number[];
}

/**
 * A parameter of GPT-2: its name in the article, the weight tables and the reference (`wte`,
 * `ln_1_g`, `c_attn_w`, …), the checkpoint tensor it is read from, and the shape config.json
 * implies for it. Hugging Face stores the linear layers as Conv1D, so weights are [in, out]:
 * c_attn.weight is [C, 3*C].
 */
export interface Gpt2Parameter<Name extends string = string> {
  name: Name;
  /** One tensor per transformer block (`h.{i}.…`), or one for the whole model. */
  perBlock: boolean;
  /** The checkpoint tensor of block `block` (ignored when not perBlock). */
  tensor(block: number): string;
  shape(config: Gpt2Config): number[];
}

type Shape = (config: Gpt2Config) => number[];

const whole = <Name extends string>(name: Name, tensor: string, shape: Shape): Gpt2Parameter<Name> =>
  ({ name, perBlock: false, tensor: () => tensor, shape });

const ofBlock = <Name extends string>(name: Name, tensor: string, shape: Shape): Gpt2Parameter<Name> =>
  ({ name, perBlock: true, tensor: (i) => `h.${i}.${tensor}`, shape });

/** The embeddings, before the blocks. */
const EMBEDDINGS = [
  whole('wte', 'wte.weight', ({ vocab_size: V, n_embd: C }) => [V, C]),
  whole('wpe', 'wpe.weight', ({ n_ctx, n_embd: C }) => [n_ctx, C]),
] as const;

/** The parameters of each transformer block, in the checkpoint's order. */
export const BLOCK_PARAMETERS = [
  ofBlock('ln_1_g', 'ln_1.weight', ({ n_embd: C }) => [C]),
  ofBlock('ln_1_b', 'ln_1.bias', ({ n_embd: C }) => [C]),
  ofBlock('c_attn_w', 'attn.c_attn.weight', ({ n_embd: C }) => [C, 3 * C]), // q, k and v side by side
  ofBlock('c_attn_b', 'attn.c_attn.bias', ({ n_embd: C }) => [3 * C]),
  ofBlock('c_proj_w', 'attn.c_proj.weight', ({ n_embd: C }) => [C, C]),
  ofBlock('c_proj_b', 'attn.c_proj.bias', ({ n_embd: C }) => [C]),
  ofBlock('ln_2_g', 'ln_2.weight', ({ n_embd: C }) => [C]),
  ofBlock('ln_2_b', 'ln_2.bias', ({ n_embd: C }) => [C]),
  ofBlock('mlp_c_fc_w', 'mlp.c_fc.weight', ({ n_embd: C }) => [C, 4 * C]),
  ofBlock('mlp_c_fc_b', 'mlp.c_fc.bias', ({ n_embd: C }) => [4 * C]),
  ofBlock('mlp_c_proj_w', 'mlp.c_proj.weight', ({ n_embd: C }) => [4 * C, C]),
  ofBlock('mlp_c_proj_b', 'mlp.c_proj.bias', ({ n_embd: C }) => [C]),
] as const;

/** The final layer norm, after the blocks. */
const FINAL_NORM = [
  whole('ln_f_g', 'ln_f.weight', ({ n_embd: C }) => [C]),
  whole('ln_f_b', 'ln_f.bias', ({ n_embd: C }) => [C]),
] as const;

/** Outside the blocks: the embeddings and the final layer norm. */
export const MODEL_PARAMETERS = [...EMBEDDINGS, ...FINAL_NORM] as const;

/** The output projection; optional in a checkpoint because GPT-2 ties it to wte. */
export const LM_HEAD = whole('lm_head', 'lm_head.weight', ({ vocab_size: V, n_embd: C }) => [V, C]);

/** Every parameter a checkpoint must have, in the order of the forward pass (lm_head, optional, left out). */
export const GPT2_PARAMETERS = [...EMBEDDINGS, ...BLOCK_PARAMETERS, ...FINAL_NORM] as const;

/** wte, wpe, ln_1_g, …, ln_f_b, lm_head. */
export type Gpt2ParameterName = (typeof GPT2_PARAMETERS)[number]['name'] | typeof LM_HEAD.name;

/** The tensor of `parameter` in block `block` (or its only one), with its shape. */
function tensorSpec(parameter: Gpt2Parameter, config: Gpt2Config, block = 0): TensorSpec {
  return { name: parameter.tensor(block), shape: parameter.shape(config) };
}

/**
 * Every tensor of GPT-2 in state-dict order (the embeddings, block 0's parameters, block 1's, …,
 * the final layer norm), with its shape.
 *
 * @example
 * gpt2Tensors(config)[0]; // { name: 'wte.weight', shape: [50257, 768] }
 */
export function gpt2Tensors(config: Gpt2Config): TensorSpec[] {
  return [
    ...EMBEDDINGS.map((parameter) => tensorSpec(parameter, config)),
    ...Array.from({ length: config.n_layer }, (_, i) => BLOCK_PARAMETERS.map((parameter) => tensorSpec(parameter, config, i))).flat(),
    ...FINAL_NORM.map((parameter) => tensorSpec(parameter, config)),
  ];
}

/** The output projection's tensor. */
export function lmHeadTensor(config: Gpt2Config): TensorSpec {
  return tensorSpec(LM_HEAD, config);
}

/** Drops the `transformer.` prefix that GPT2LMHeadModel's state dict puts on every key but lm_head's. */
export function canonicalName(key: string): string {
  return key.startsWith('transformer.') ? key.slice('transformer.'.length) : key;
}

/** The causal mask buffers some checkpoints carry: constants, not parameters. */
export function isBuffer(name: string): boolean {
  return /^h\.\d+\.attn\.(bias|masked_bias)$/.test(name);
}
