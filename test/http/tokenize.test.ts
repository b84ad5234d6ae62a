import { getEncoding } from 'js-tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.ts';
import { post, startTestApi, type TestApi } from './api-fixture.ts';
import { CONFIGS, fullVocabulary } from '../engine/forward-models.ts';

const tiktoken = getEncoding('gpt2');
const TEXT = 'Hello, wörld! 🤗 <|endoftext|>';

describe.each(testDatabases())('POST /tokenize and /detokenize on $driver, as llama.cpp\'s server has them', (target) => {
  let t: TestApi;
  /**
   * Names the model on the shared server, where other test files load models of their own at the
   * same time; the embedded database has this model alone, which a request need not name.
   */
  const named = () => (target.driver === 'postgres' ? { model: t.model.name } : {});
  beforeAll(async () => {
    t = await startTestApi(target, { config: fullVocabulary(CONFIGS['1 block, 1 head, 16 wide']) }); // the tokenizer is the subject: GPT-2's own
  });
  afterAll(async () => {
    await t.close();
  });

  it('tokenizes as tiktoken does (<|endoftext|> as plain text), and detokenizes back', async () => {
    const ids = tiktoken.encode(TEXT, [], []);
    const tokenized = await post(t, '/tokenize', { content: TEXT, model: t.model.name });
    expect(await tokenized.json()).toEqual({ tokens: ids });
    const detokenized = await post(t, '/detokenize', { tokens: ids, ...named() }); // the only model loaded: no need to name it
    expect(await detokenized.json()).toEqual({ content: TEXT });
    expect(await (await post(t, '/tokenize', { content: '', ...named() })).json()).toEqual({ tokens: [] });
  });

  it('gives each token\'s piece with with_pieces: text, or its bytes when they are not whole UTF-8', async () => {
    const response = await post(t, '/tokenize', { content: 'a🤗', with_pieces: true, add_special: false, ...named() });
    const { tokens } = await response.json() as { tokens: Array<{ id: number; piece: string | number[] }> };
    expect(tokens.map((token) => token.id)).toEqual(tiktoken.encode('a🤗'));
    const bytes = tokens.flatMap(({ piece }) => (typeof piece === 'string' ? [...Buffer.from(piece)] : piece));
    expect(Buffer.from(bytes).toString()).toBe('a🤗');
    expect(tokens.some(({ piece }) => Array.isArray(piece))).toBe(true);
  });

  it('refuses what it cannot do, by name', async () => {
    const refused = async (path: string, body: unknown, param: string, message: RegExp) => {
      const response = await post(t, path, body);
      expect(response.status).toBe(400);
      expect((await response.json()).error).toMatchObject({ param, message: expect.stringMatching(message) });
    };
    await refused('/tokenize', { content: 'a', parse_special: true, ...named() }, 'parse_special', /not supported/);
    await refused('/tokenize', { text: 'a', ...named() }, 'text', /unknown field "text"/);
    await refused('/tokenize', { ...named() }, 'content', /content is required/);
    await refused('/detokenize', { tokens: [1, 'a'], ...named() }, 'tokens', /list of token ids/);
    await refused('/detokenize', { tokens: [t.model.vocab_size + 5], ...named() }, 'tokens', /not a token id of this model/);
    const unknown = await post(t, '/tokenize', { content: 'a', model: 'nope' });
    expect(unknown.status).toBe(404);
  });
});
