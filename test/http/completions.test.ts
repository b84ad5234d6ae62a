import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/engine/generate.ts';
import { decode, encode } from '../../src/engine/tokenizer.ts';
import { testDatabases } from '../helpers/databases.ts';
import { someIds } from '../engine/forward-models.ts';
import { generationRows, referenceCompletion, referenceLogprobs, startTestApi, type TestApi } from './api-fixture.ts';
import { CONFIGS, dropModel, fullVocabulary, loadTestModel } from '../engine/forward-models.ts';

const PROMPT = 'Happy New Year! I wish you';
/** ln P within this of the reference: the vector kernel keeps weights and activations as float4. */
const LOGPROB_TOLERANCE = 1e-3;

describe.each(testDatabases())('POST /v1/completions on $driver, with the openai client', (target) => {
  /** The API with the small vocabulary's model: for the sampling, streaming and n tests, whose subject is not the vocabulary. */
  let t: TestApi;
  /** The same API and database with GPT-2's whole vocabulary: for the tests of tokens' text and log-probabilities. */
  let full: TestApi;
  let promptIds: number[];
  let fullPromptIds: number[];
  beforeAll(async () => {
    t = await startTestApi(target);
    promptIds = await encode(t.db, t.model, PROMPT);
    // GPT-2's whole vocabulary: the log-probabilities' tokens are checked to spell the text, which a
    // small vocabulary's byte tokens (a quarter of it) would rarely let a random model do.
    full = { ...t, ...(await loadTestModel(t.db, fullVocabulary(CONFIGS['1 block, 1 head, 16 wide']))) };
    fullPromptIds = await encode(t.db, full.model, PROMPT);
  });
  afterAll(async () => {
    expect(await generationRows(t.db, t.model)).toBe(0);
    expect(await generationRows(t.db, full.model)).toBe(0);
    await dropModel(t.db, full.model);
    await t.close();
  });

  it('continues a prompt as the reference does, with OpenAI\'s defaults (16 tokens, temperature 1) and seed 0', async () => {
    const completion = await t.client.completions.create({ model: t.model.name, prompt: PROMPT });
    const expected = await referenceCompletion(t, promptIds, { maxTokens: 16 });
    expect(completion).toMatchObject({
      object: 'text_completion', model: t.model.name,
      choices: [{ index: 0, text: expected.text, logprobs: null, finish_reason: expected.finish }],
      usage: { prompt_tokens: promptIds.length, completion_tokens: expected.tokens.length, total_tokens: promptIds.length + expected.tokens.length },
    });
    expect(completion.id).toMatch(/^cmpl-/);
  });

  it('gives what gpt2sql complete gives with the same seed and options (greedy, and sampled with top-k and top-p)', async () => {
    for (const options of [{ temperature: 0 }, { temperature: 0.9, topK: 40, topP: 0.95, seed: 42 }]) {
      const completion = await t.client.completions.create({
        model: t.model.name, prompt: PROMPT, max_tokens: 8, temperature: options.temperature, seed: options.seed,
        ...(options.topP === undefined ? {} : { top_p: options.topP }),
        ...(options.topK === undefined ? {} : { top_k: options.topK } as object),
      });
      const complete = await generate(t.db, t.model, promptIds, { maxTokens: 8, ...options });
      expect(completion.choices[0].text).toBe(await decode(t.db, t.model, complete.tokens));
      expect(completion.choices[0].text).toBe((await referenceCompletion(t, promptIds, { maxTokens: 8, ...options })).text);
    }
  });

  it('takes OpenAI\'s presence_penalty and frequency_penalty, and min_p, as the reference applies them', async () => {
    for (const options of [{ temperature: 0, presencePenalty: 1.5, frequencyPenalty: 0.5 }, { temperature: 1.1, minP: 0.1, frequencyPenalty: 1, seed: 3 }]) {
      const completion = await t.client.completions.create({
        model: t.model.name, prompt: PROMPT, max_tokens: 10, temperature: options.temperature, seed: options.seed,
        presence_penalty: options.presencePenalty, frequency_penalty: options.frequencyPenalty,
        ...(options.minP === undefined ? {} : { min_p: options.minP } as object),
      });
      expect(completion.choices[0].text).toBe((await referenceCompletion(t, promptIds, { maxTokens: 10, ...options })).text);
    }
  });

  it('streams the same text in text_completion chunks, the finish_reason last, usage in a last chunk without choices', async () => {
    const stream = await t.client.completions.create({
      model: t.model.name, prompt: PROMPT, max_tokens: 10, seed: 5, stream: true, stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const expected = await referenceCompletion(t, promptIds, { maxTokens: 10, seed: 5 });
    const withText = chunks.filter((chunk) => chunk.choices.length > 0);
    expect(withText.map((chunk) => chunk.choices[0].text).join('')).toBe(expected.text);
    expect(withText.length).toBeGreaterThan(expected.tokens.length === 0 ? 0 : 1);
    expect(withText.at(-1)!.choices[0].finish_reason).toBe(expected.finish);
    expect(withText.slice(0, -1).every((chunk) => chunk.choices[0].finish_reason === null && chunk.object === 'text_completion')).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: promptIds.length, completion_tokens: expected.tokens.length } });
    expect(withText.every((chunk) => chunk.usage === null)).toBe(true);
  });

  it('gives n choices, choice k sampled with seed + k, for each prompt of a list, choice k of prompt p at p * n + k', async () => {
    const prompts = [PROMPT, 'Once upon a time'];
    const completion = await t.client.completions.create({ model: t.model.name, prompt: prompts, n: 3, max_tokens: 3, seed: 10 });
    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1, 2, 3, 4, 5]);
    let promptTokens = 0;
    let completionTokens = 0;
    for (const [p, text] of prompts.entries()) {
      const ids = await encode(t.db, t.model, text);
      promptTokens += ids.length;
      for (let k = 0; k < 3; k++) {
        const expected = await referenceCompletion(t, ids, { maxTokens: 3, seed: 10 + k });
        expect(completion.choices[p * 3 + k]).toMatchObject({ text: expected.text, finish_reason: expected.finish });
        completionTokens += expected.tokens.length;
      }
    }
    expect(completion.usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens });
  });

  it('takes token ids, and lists of them, as prompts', async () => {
    const ids = someIds(6);
    const expected = await referenceCompletion(full, ids, { maxTokens: 4, temperature: 0 });
    const single = await full.client.completions.create({ model: full.model.name, prompt: ids, max_tokens: 4, temperature: 0 });
    expect(single.choices[0].text).toBe(expected.text);
    const listed = await full.client.completions.create({ model: full.model.name, prompt: [ids, fullPromptIds], max_tokens: 4, temperature: 0 });
    expect(listed.choices.map((choice) => choice.text)).toEqual([expected.text, (await referenceCompletion(full, fullPromptIds, { maxTokens: 4, temperature: 0 })).text]);
  });

  it('cuts the text before a stop string, with finish_reason stop, streamed or not', async () => {
    const expected = await referenceCompletion(full, fullPromptIds, { maxTokens: 12, temperature: 0 });
    const stop = expected.text.slice(3, 5); // somewhere inside the greedy text
    const cut = expected.text.slice(0, expected.text.indexOf(stop));
    const completion = await full.client.completions.create({ model: full.model.name, prompt: PROMPT, max_tokens: 12, temperature: 0, stop: ['never appears', stop] });
    expect(completion.choices[0]).toMatchObject({ text: cut, finish_reason: 'stop' });
    const stream = await full.client.completions.create({ model: full.model.name, prompt: PROMPT, max_tokens: 12, temperature: 0, stop, stream: true });
    const texts: string[] = [];
    const reasons: Array<string | null> = [];
    for await (const chunk of stream) chunk.choices.forEach((choice) => (texts.push(choice.text), reasons.push(choice.finish_reason)));
    expect(texts.join('')).toBe(cut);
    expect(reasons.at(-1)).toBe('stop');
  });

  it('gives each token\'s log-probability and the top alternatives in OpenAI\'s legacy shape, as the reference computes them', async () => {
    const completion = await full.client.completions.create({ model: full.model.name, prompt: PROMPT, max_tokens: 6, temperature: 0, logprobs: 3 });
    const choice = completion.choices[0];
    const expected = await referenceCompletion(full, fullPromptIds, { maxTokens: 6, temperature: 0 });
    const logprobs = choice.logprobs!;
    expect(logprobs.tokens!.join('')).toBe(choice.text);
    expect(logprobs.tokens).toHaveLength(expected.tokens.length);
    const reference = referenceLogprobs(full.weights, [...fullPromptIds, ...expected.tokens]).slice(fullPromptIds.length);
    logprobs.token_logprobs!.forEach((logprob, i) => expect(Math.abs(logprob - reference[i]!)).toBeLessThan(LOGPROB_TOLERANCE));
    logprobs.top_logprobs!.forEach((top, i) => {
      const entries = Object.entries(top);
      expect(entries.length).toBe(3); // greedy: the chosen token is the most probable, among the 3
      expect(top[logprobs.tokens![i]]).toBe(logprobs.token_logprobs![i]);
      expect(Math.max(...entries.map(([, logprob]) => logprob))).toBe(logprobs.token_logprobs![i]);
    });
    let offset = 0;
    logprobs.tokens!.forEach((token, i) => {
      expect(logprobs.text_offset![i]).toBe(offset);
      offset += [...token].length;
    });
  });

  it('echoes the prompt, with logprobs its tokens scored (the first null), with max_tokens 0 as evaluation harnesses ask', async () => {
    const completion = await full.client.completions.create({ model: full.model.name, prompt: PROMPT, max_tokens: 0, echo: true, logprobs: 0 });
    const choice = completion.choices[0];
    expect(choice).toMatchObject({ text: PROMPT, finish_reason: 'length' });
    const logprobs = choice.logprobs!;
    expect(logprobs.tokens!.join('')).toBe(PROMPT);
    expect(logprobs.token_logprobs![0]).toBeNull();
    expect(logprobs.top_logprobs![0]).toBeNull();
    const reference = referenceLogprobs(full.weights, fullPromptIds);
    logprobs.token_logprobs!.slice(1).forEach((logprob, i) => expect(Math.abs(logprob! - reference[i + 1]!)).toBeLessThan(LOGPROB_TOLERANCE));
    logprobs.top_logprobs!.slice(1).forEach((top, i) => expect(top).toEqual({ [logprobs.tokens![i + 1]]: logprobs.token_logprobs![i + 1] }));
    expect(completion.usage).toMatchObject({ prompt_tokens: fullPromptIds.length, completion_tokens: 0 });
  });

  it('echoes the prompt before the completion, streamed, with the text offsets running on', async () => {
    const expected = await referenceCompletion(full, fullPromptIds, { maxTokens: 4, temperature: 0 });
    const stream = await full.client.completions.create({ model: full.model.name, prompt: PROMPT, max_tokens: 4, temperature: 0, echo: true, logprobs: 1, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk.choices[0]);
    expect(chunks[0].text).toBe(PROMPT);
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(PROMPT + expected.text);
    const offsets = chunks.flatMap((chunk) => chunk.logprobs?.text_offset ?? []);
    const tokens = chunks.flatMap((chunk) => chunk.logprobs?.tokens ?? []);
    expect(tokens).toHaveLength(fullPromptIds.length + expected.tokens.length);
    expect(offsets[fullPromptIds.length]).toBe([...PROMPT].length);
  });
});
