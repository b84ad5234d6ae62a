import { getEncoding } from 'js-tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Database } from '../../src/db/database.ts';
import { generate } from '../../src/engine/generate.ts';
import { hiddenStates } from '../helpers/hidden-states.ts';
import { nextTokens } from '../../src/engine/next.ts';
import { decode } from '../../src/engine/tokenizer.ts';
import type { Gpt2Weights } from '../../src/reference/weights.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { completeStatement, completeValues, nextPromptStatement, type CompleteScriptOptions } from '../../src/sql/script.ts';
import { renderInlined, typedLiteral } from '../../src/sql/sql.ts';
import { tokenize } from '../../src/sql/statements.ts';
import { hiddenStatement } from '../helpers/hidden-states.ts';
import { testDatabases } from '../helpers/databases.ts';
import { HOSTILE_PROMPTS } from '../helpers/hostile-prompts.ts';
import { expectSampledAsReference } from '../helpers/sampled.ts';
import { dropModel, loadGeneratedModel } from '../helpers/loaded-model.ts';

const tiktoken = getEncoding('gpt2');
const encode = (text: string) => tiktoken.encode(text, [], []);


describe.each(testDatabases())('scripts on $driver', (target) => {
  let db: Database;
  let model: ModelRow;
  let weights: Gpt2Weights;
  let eotId: number;

  /** Runs the statement of a script: its tables are the model's (the script sets the search_path; this test's connection did). */
  const run = <R>(statement: string) => db.query<R>(statement);

  beforeAll(async () => {
    db = await target.open();
    ({ model, weights, eotId } = await loadGeneratedModel(db, 'script', { n_layer: 2, n_head: 2, n_embd: 16, n_ctx: 24, seed: 31 }));
    await db.exec(`SET search_path TO ${quoteIdent(model.schema_name)}, public`);
  });
  afterAll(async () => {
    await dropModel(db, model);
    await db.close();
  });

  it('quotes every value so PostgreSQL reads back exactly that value', async () => {
    for (const conforming of ['on', 'off']) {
      await db.exec(`SET standard_conforming_strings = ${conforming}`);
      for (const text of [...HOSTILE_PROMPTS, '', 'ünïcödé 😀']) {
        const [row] = await db.query<{ value: string }>(`SELECT ${typedLiteral('text', text)} AS value`);
        expect(row.value).toBe(text);
      }
    }
    const [row] = await db.query(`SELECT ${typedLiteral('ids', [15496, 11])} AS ids, ${typedLiteral('seed', -5)}::text AS seed, ${typedLiteral('top_p', 0.25)} AS p`);
    expect(row).toEqual({ ids: [15496, 11], seed: '-5', p: 0.25 });
  });

  it('inlines a statement\'s inputs: the same rows as the statement with its values bound', async () => {
    const ids = encode('Hello, world');
    const rows = await run<{ t: number; x: number[] }>(renderInlined(hiddenStatement(model), { ids, start: 0 }));
    expect(rows.map((row) => row.x)).toEqual(await hiddenStates(db, model, ids));
  });

  it('tokenize: the prompt inlined gives the tokens of tiktoken', async () => {
    for (const prompt of HOSTILE_PROMPTS) {
      const rows = await run<{ position: number; token: number }>(renderInlined(tokenize(), { text: prompt }));
      expect(rows.map((row) => row.token), prompt).toEqual(encode(prompt));
    }
  });

  it("next: the engine's candidates, with the same logits and probabilities", async () => {
    for (const [prompt, options] of [[HOSTILE_PROMPTS[3], { top: 5, temperature: 1 }], ['Hello', { top: 3, temperature: 0 }]] as const) {
      const rows = await run<{ id: number; token: string; logit: number; probability: number }>(renderInlined(nextPromptStatement(model), { text: prompt, ...options }));
      expect(rows).toEqual(await nextTokens(db, model, encode(prompt), options));
    }
  });

  it.each([
    ['greedy', HOSTILE_PROMPTS[4], { maxTokens: 4, temperature: 0, topK: 0, topP: 1, seed: 0 }, 'max_tokens'],
    ['sampled with top-k and top-p', HOSTILE_PROMPTS[2], { maxTokens: 4, temperature: 0.9, topK: 40, topP: 0.9, seed: 7 }, 'max_tokens'],
    ['sampled with a negative seed', 'Hello', { maxTokens: 3, temperature: 1.5, topK: 0, topP: 1, seed: -12 }, 'max_tokens'],
    ['up to n_ctx', 'a b c d e f g h i j k l m n o p q r s t u', { maxTokens: 9, temperature: 0, topK: 0, topP: 1, seed: 0 }, 'n_ctx'],
    ['greedy with presence and frequency penalties', 'Hello', { maxTokens: 6, temperature: 0, presencePenalty: 1.5, frequencyPenalty: 0.7 }, 'max_tokens'],
    ['sampled with min_p and a frequency penalty', HOSTILE_PROMPTS[2], { maxTokens: 5, temperature: 1.2, minP: 0.1, frequencyPenalty: 2, seed: 4 }, 'max_tokens'],
  ] as Array<[string, string, CompleteScriptOptions, string]>)('complete (%s): one statement gives the tokens of the engine and of the reference', async (_, prompt, options, stop) => {
    const ids = encode(prompt);
    const [row] = await run<{ prompt_tokens: number[]; tokens: number[]; text: string; stop: string }>(renderInlined(completeStatement(model), completeValues(prompt, model, options)));
    const engine = await generate(db, model, ids, options);
    expect(row.prompt_tokens).toEqual(ids);
    expect(row.tokens).toEqual(engine.tokens);
    expectSampledAsReference(weights, ids, { ...options, eotId }, row.tokens, model.kernel, `complete script, ${JSON.stringify(options)}`);
    expect([row.stop, engine.stop]).toEqual([stop, stop]);
    expect(row.text).toBe(await decode(db, model, engine.tokens));
  });

  it('complete: stops at <|endoftext|> without returning it, as the engine does', async () => {
    const prompt = 'Hello';
    const options = { maxTokens: 5, temperature: 0, topK: 0, topP: 1, seed: 0 };
    const greedy = (await generate(db, model, encode(prompt), options)).tokens;
    const second = greedy[1];
    const swapSymbols = async (a: number, b: number) => { // vocab.symbol is unique: through a placeholder
      const rows = await db.query<{ token: number; symbol: string }>('SELECT token, symbol FROM vocab WHERE token IN ($1, $2)', [a, b]);
      const symbolOf = (token: number) => rows.find((row) => row.token === token)!.symbol;
      await db.query("UPDATE vocab SET symbol = 'placeholder for a swap' WHERE token = $1", [a]);
      await db.query('UPDATE vocab SET symbol = $2 WHERE token = $1', [b, symbolOf(a)]);
      await db.query('UPDATE vocab SET symbol = $2 WHERE token = $1', [a, symbolOf(b)]);
    };
    await swapSymbols(50256, second); // the second greedy token becomes this model's <|endoftext|>
    try {
      const [row] = await run<{ tokens: number[]; stop: string }>(renderInlined(completeStatement(model), completeValues(prompt, model, options)));
      const engine = await generate(db, model, encode(prompt), options);
      expect(engine).toEqual({ tokens: greedy.slice(0, greedy.indexOf(second)), stop: 'eot' });
      expect(row).toEqual({ ...row, tokens: engine.tokens, stop: 'eot' });
    } finally {
      await swapSymbols(50256, second);
    }
  });
});
