import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../src/engine/tokenizer.ts';
import { testDatabases } from '../helpers/databases.ts';
import { generationRows, referenceCompletion, startAnotherApi, startTestApi, type TestApi } from './api-fixture.ts';

/** Sessions of `model` still open. */
async function sessions(t: TestApi): Promise<number> {
  const [row] = await t.db.query<{ n: number }>('SELECT count(*) AS n FROM gpt2sql.sessions WHERE model = $1', [t.model.name]);
  return Number(row.n);
}

describe.each(testDatabases())('a client that leaves mid-stream on $driver', (target) => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi(target);
  });
  afterAll(async () => {
    await t.close();
  });

  it('ends its generation and its cache rows go, while the others continue to their end', async () => {
    const staying = t.client.completions.create({ model: t.model.name, prompt: 'Once upon a time', max_tokens: 48, seed: 3, stream: true });
    const leaving = new AbortController();
    const response = await fetch(`${t.api.url}/v1/completions`, {
      method: 'POST', signal: leaving.signal,
      body: JSON.stringify({ model: t.model.name, prompt: 'Hello', max_tokens: 40, stream: true }),
    });
    const reader = response.body!.getReader();
    await reader.read(); // a chunk came: it runs
    const texts: string[] = [];
    let done = false;
    const read = (async () => {
      for await (const chunk of await staying) texts.push(chunk.choices[0]?.text ?? '');
      done = true;
    })();
    await expect.poll(() => sessions(t), { timeout: 30_000 }).toBe(2);
    leaving.abort();
    await expect.poll(() => sessions(t), { timeout: 30_000 }).toBe(1); // only the staying one's
    expect(done).toBe(false); // it was still running when the other left
    await read;
    const ids = await encode(t.db, t.model, 'Once upon a time');
    expect(texts.join('')).toBe((await referenceCompletion(t, ids, { maxTokens: 48, seed: 3 })).text);
    expect(await generationRows(t.db, t.model)).toBe(0);
  });

  it('ends every running generation when the server closes: a stream gets an error event, no session rows stay', async () => {
    const api = await startAnotherApi(t);
    const response = await fetch(`${api.url}/v1/completions`, {
      method: 'POST', body: JSON.stringify({ model: t.model.name, prompt: 'Hello', max_tokens: 50, stream: true }),
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = (await reader.read()).value!;
    await api.close();
    for (let part = await reader.read(); !part.done; part = await reader.read()) text += part.value;
    const events = text.split('\n\n').filter((event) => event !== '');
    expect(JSON.parse(events.at(-1)!.replace(/^data: /, ''))).toMatchObject({ error: { code: 'shutting_down', message: expect.stringMatching(/^the server shut down before this completion ended/) } });
    expect(await generationRows(t.db, t.model)).toBe(0);
    expect((await fetch(`${api.url}/v1/models`).catch((error: Error) => error))).toBeInstanceOf(Error); // no longer listening
  });
});
