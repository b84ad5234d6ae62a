/**
 * GPT-2's parameters as the reference forward pass uses them: float64, flat row-major arrays, named
 * as in GPT-2's checkpoint and the article (wte, wpe, ln_1_g, c_attn_w, mlp_c_fc_w, ...).
 *
 * Matrices keep Hugging Face's Conv1D layout [in, out], so every linear layer is x @ w + b.
 * Shape letters: C = n_embd, V = vocab_size.
 */
import { BLOCK_PARAMETERS, LM_HEAD, MODEL_PARAMETERS, type Gpt2Parameter } from '../checkpoint/gpt2-tensors.ts';
import type { Checkpoint, Gpt2Config } from '../checkpoint/types.ts';

/** The parameters of one transformer block (`h.{i}.*` in the checkpoint). */
export interface Gpt2BlockWeights {
  ln_1_g: Float64Array; // [C]
  ln_1_b: Float64Array; // [C]
  c_attn_w: Float64Array; // [C, 3*C]: the q, k and v projections side by side
  c_attn_b: Float64Array; // [3*C]
  c_proj_w: Float64Array; // [C, C]
  c_proj_b: Float64Array; // [C]
  ln_2_g: Float64Array; // [C]
  ln_2_b: Float64Array; // [C]
  mlp_c_fc_w: Float64Array; // [C, 4*C]
  mlp_c_fc_b: Float64Array; // [4*C]
  mlp_c_proj_w: Float64Array; // [4*C, C]
  mlp_c_proj_b: Float64Array; // [C]
}

/** Every parameter of a GPT-2 model, float64, row-major. */
export interface Gpt2Weights {
  config: Gpt2Config;
  wte: Float64Array; // [V, C] token embeddings
  wpe: Float64Array; // [n_ctx, C] position embeddings
  blocks: Gpt2BlockWeights[]; // n_layer of them
  ln_f_g: Float64Array; // [C]
  ln_f_b: Float64Array; // [C]
  lm_head: Float64Array; // [V, C], the very same array as wte when the head is tied
}

/**
 * Reads every tensor of a checkpoint and widens it to float64 for the reference forward pass.
 *
 * @example
 * const weights = await loadReferenceWeights(checkpoint);
 * const logits = gpt2(weights, [15496, 11, 995]); // [3][50257]
 */
export async function loadReferenceWeights(checkpoint: Checkpoint): Promise<Gpt2Weights> {
  const { config } = checkpoint;
  const { n_embd: C } = config;
  if (config.n_layer < 1 || C % config.n_head !== 0) {
    throw new Error(`config.json has n_layer = ${config.n_layer}, n_embd = ${C}, n_head = ${config.n_head}; ` +
      'GPT-2 needs at least one layer and n_embd divisible by n_head: check the checkpoint');
  }
  const { wte, wpe, ln_f_g, ln_f_b } = await readParameters(checkpoint, MODEL_PARAMETERS);
  const blocks: Gpt2BlockWeights[] = [];
  for (let i = 0; i < config.n_layer; i++) blocks.push(await readParameters(checkpoint, BLOCK_PARAMETERS, i));
  const lm_head = checkpoint.tiedLmHead ? wte : (await readParameters(checkpoint, [LM_HEAD])).lm_head;
  return { config, wte, wpe, blocks, ln_f_g, ln_f_b, lm_head };
}

/** The tensors of `parameters` (block `block`'s for per-block ones) by parameter name. */
async function readParameters<Name extends string>(
  checkpoint: Checkpoint, parameters: readonly Gpt2Parameter<Name>[], block = 0,
): Promise<Record<Name, Float64Array>> {
  const read = {} as Record<Name, Float64Array>;
  for (const { name, tensor, shape } of parameters) read[name] = await readTensor(checkpoint, tensor(block), shape(checkpoint.config));
  return read;
}

async function readTensor(checkpoint: Checkpoint, name: string, shape: number[]): Promise<Float64Array> {
  const values = await checkpoint.read(name);
  const expected = shape.reduce((n, d) => n * d, 1);
  if (values.length !== expected) {
    throw new Error(`tensor ${name} has ${values.length} values but config.json implies [${shape.join(', ')}] ` +
      `= ${expected}: check that config.json belongs to this checkpoint`);
  }
  return Float64Array.from(values);
}
