/** Hyperparameters of a GPT-2 model, as named in Hugging Face's config.json. */
export interface Gpt2Config {
  model_type: 'gpt2';
  n_layer: number;
  n_head: number;
  n_embd: number;
  /** Context length (config.json `n_positions`, falling back to `n_ctx`). */
  n_ctx: number;
  vocab_size: number;
  layer_norm_epsilon: number;
}

/** Storage types a safetensors file may use for GPT-2 weights. */
export type Dtype = 'F32' | 'F16' | 'BF16';

/** Metadata of one tensor in a safetensors file. */
export interface TensorInfo {
  /** Canonical name, without the `transformer.` prefix: `wte.weight`, `h.0.attn.c_attn.weight`, `lm_head.weight`. */
  name: string;
  dtype: Dtype;
  shape: number[];
}

/** GPT-2's byte-level BPE tokenizer files (vocab.json + merges.txt, or encoder.json + vocab.bpe). */
export interface TokenizerFiles {
  /** Token string (in GPT-2's byte-to-unicode alphabet) -> id. */
  encoder: Map<string, number>;
  /** Merge rules in rank order (rank = index): [left, right]. */
  merges: Array<[string, string]>;
}

/** An opened checkpoint: config, tokenizer and lazily read tensors. */
export interface Checkpoint {
  /** Directory the files were read from. */
  dir: string;
  config: Gpt2Config;
  tokenizer: TokenizerFiles;
  /** Every tensor of the model, canonical names, buffers (attn.bias, attn.masked_bias) left out. */
  tensors: TensorInfo[];
  /** True when lm_head.weight is absent or equal to wte (the tied head). */
  tiedLmHead: boolean;
  /** Reads one tensor (canonical name) decoded to float32, in the checkpoint's row-major layout. */
  read(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}
