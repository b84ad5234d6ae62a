import type { Gpt2Config } from '../checkpoint/types.ts';

/**
 * What the forward pass needs to know of a model (a row of the catalog, gpt2sql.models, has it):
 * its hyperparameters, its kernel's name, and on how many shards its matrices are (0: none).
 */
export type ModelShape = Pick<Gpt2Config, 'n_layer' | 'n_head' | 'n_embd' | 'layer_norm_epsilon'> & { kernel: string; shards: number };
