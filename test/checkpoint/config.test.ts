import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, readConfig } from '../../src/checkpoint/config.ts';

/** openai-community/gpt2's config.json as published on the hub. */
const GPT2_CONFIG = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  attn_pdrop: 0.1,
  bos_token_id: 50256,
  embd_pdrop: 0.1,
  eos_token_id: 50256,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  resid_pdrop: 0.1,
  summary_activation: null,
  summary_first_dropout: 0.1,
  summary_proj_to_labels: true,
  summary_type: 'cls_index',
  summary_use_proj: true,
  task_specific_params: { 'text-generation': { do_sample: true, max_length: 50 } },
  vocab_size: 50257,
};

describe('parseConfig', () => {
  it("reads GPT-2's config.json", () => {
    expect(parseConfig(GPT2_CONFIG)).toEqual({
      model_type: 'gpt2', n_layer: 12, n_head: 12, n_embd: 768, n_ctx: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5,
    });
  });

  it('takes the context length from n_positions, falling back to n_ctx', () => {
    expect(parseConfig({ ...GPT2_CONFIG, n_positions: 2048, n_ctx: 1024 }).n_ctx).toBe(2048);
    expect(parseConfig({ ...GPT2_CONFIG, n_positions: undefined, n_ctx: 512 }).n_ctx).toBe(512);
  });

  it('defaults layer_norm_epsilon to 1e-5', () => {
    expect(parseConfig({ ...GPT2_CONFIG, layer_norm_epsilon: undefined }).layer_norm_epsilon).toBe(1e-5);
  });

  it('refuses other model types', () => {
    expect(() => parseConfig({ ...GPT2_CONFIG, model_type: 'llama' })).toThrow(/model_type "llama".*GPT-2 models only/);
    expect(() => parseConfig({ ...GPT2_CONFIG, model_type: undefined })).toThrow(/model_type/);
  });

  it('refuses sizes that are not positive integers', () => {
    expect(() => parseConfig({ ...GPT2_CONFIG, n_head: undefined })).toThrow(/n_head must be a positive integer/);
    expect(() => parseConfig({ ...GPT2_CONFIG, n_layer: 0 })).toThrow(/n_layer must be a positive integer, found 0/);
    expect(() => parseConfig({ ...GPT2_CONFIG, n_embd: 76.8 })).toThrow(/n_embd/);
    expect(() => parseConfig({ ...GPT2_CONFIG, vocab_size: '50257' })).toThrow(/vocab_size/);
    expect(() => parseConfig({ ...GPT2_CONFIG, layer_norm_epsilon: -1 })).toThrow(/layer_norm_epsilon/);
  });

  it('requires n_embd to split evenly into heads', () => {
    expect(() => parseConfig({ ...GPT2_CONFIG, n_head: 7 })).toThrow(/n_embd \(768\) must be a multiple of n_head \(7\)/);
  });

  it('refuses options that would change the computation', () => {
    expect(() => parseConfig({ ...GPT2_CONFIG, activation_function: 'relu' })).toThrow(/activation_function/);
    expect(() => parseConfig({ ...GPT2_CONFIG, n_inner: 1024 })).toThrow(/n_inner/);
    expect(() => parseConfig({ ...GPT2_CONFIG, scale_attn_by_inverse_layer_idx: true })).toThrow(/scale_attn_by_inverse_layer_idx/);
    expect(parseConfig({ ...GPT2_CONFIG, n_inner: 3072, activation_function: 'gelu_pytorch_tanh' }).n_embd).toBe(768);
  });
});

describe('readConfig', () => {
  it('reads config.json from a directory and explains a missing or broken one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gpt2sql-config-'));
    await expect(readConfig(dir)).rejects.toThrow(/^no config.json in .*needs config.json next to model.safetensors; pass the directory/);
    await writeFile(join(dir, 'config.json'), '{"model_type": "gpt2",');
    await expect(readConfig(dir)).rejects.toThrow(/config.json is not valid JSON; download it again$/);
    await writeFile(join(dir, 'config.json'), JSON.stringify(GPT2_CONFIG));
    expect((await readConfig(dir)).n_layer).toBe(12);
  });
});
