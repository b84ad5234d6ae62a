// A full context: generation runs until prompt + new tokens fill n_ctx = 1024, token for token as
// the reference, and says so; a prompt of exactly n_ctx tokens gets no new token and the same
// notice; one of n_ctx + 1 tokens is refused before any SQL runs.
import { getEncoding } from 'js-tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeCommand } from '../../src/cli/commands/complete.ts';
import { generate as referenceGenerate } from '../../src/reference/generate.ts';
import type { Gpt2Weights } from '../../src/reference/weights.ts';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import { testDatabases } from '../helpers/databases.ts';
import { dropModel, loadGeneratedModel } from '../helpers/loaded-model.ts';
import { memoryIo } from '../helpers/memory-io.ts';

const N_CTX = 1024;
const tiktoken = getEncoding('gpt2');
/** "a a a …": one token per word, so the text has exactly `n` tokens. */
const textOf = (n: number) => ['a', ...Array(n - 1).fill(' a')].join('');

describe.each(testDatabases())('a full context on $driver', (target) => {
  let model: ModelRow;
  let weights: Gpt2Weights;
  const complete = async (prompt: string, maxTokens: number) => {
    const io = memoryIo();
    const result = await completeCommand(prompt, { db: target.db, model: model.name, maxTokens: String(maxTokens), json: true }, io);
    return { result, notice: io.stderr };
  };

  beforeAll(async () => {
    const db = await target.open();
    ({ model, weights } = await loadGeneratedModel(db, 'full_context', { n_layer: 2, n_head: 2, n_embd: 32, n_ctx: N_CTX, seed: 61 }));
    await db.close();
  });
  afterAll(async () => {
    const db = await target.open();
    await dropModel(db, model).finally(() => db.close());
  });

  it('generates until prompt and new tokens fill n_ctx, as the reference, and says why it stopped', async () => {
    const prompt = textOf(1000);
    expect(tiktoken.encode(prompt)).toHaveLength(1000);
    const { result, notice } = await complete(prompt, 100);
    const expected = referenceGenerate(weights, tiktoken.encode(prompt), { maxTokens: 100, eotId: 50256 });
    expect(expected).toHaveLength(N_CTX - 1000);
    expect(result.tokens).toEqual(expected);
    expect(notice).toBe(`gpt2sql: stopped after 24 new tokens: the prompt (1000 tokens) and the new ones fill model ${model.name}'s context of n_ctx = ${N_CTX} tokens\n`);
  });

  it('takes a prompt of exactly n_ctx tokens and stops at once with the notice; refuses n_ctx + 1', async () => {
    const { result, notice } = await complete(textOf(N_CTX), 5);
    expect(result.prompt_tokens).toHaveLength(N_CTX);
    expect(result.tokens).toEqual([]);
    expect(notice).toMatch(/^gpt2sql: stopped after 0 new tokens: the prompt \(1024 tokens\) and the new ones fill .* n_ctx = 1024 tokens\n$/);
    await expect(complete(textOf(N_CTX + 1), 5)).rejects.toThrow(`the prompt has ${N_CTX + 1} tokens but model ${model.name} reads at most n_ctx = ${N_CTX}; shorten it`);
  });
});
