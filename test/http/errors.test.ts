import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/engine/scheduler.ts';
import type { Backend } from '../../src/http/api-call.ts';
import { startApiServer } from '../../src/http/api-server.ts';
import { testDatabases } from '../helpers/databases.ts';
import { someIds } from '../engine/forward-models.ts';
import { generationRows, post, startAnotherApi, startTestApi, type TestApi } from './api-fixture.ts';

interface Expected {
  param?: string | null;
  code?: string | null;
  type?: string;
  message?: RegExp;
}

/** An OpenAI-shaped error with `status`: one line, never a stack trace. */
async function expectError(response: Response, status: number, expected: Expected = {}): Promise<void> {
  const body = await response.json() as { error: { message: string; type: string; param: string | null; code: string | null } };
  expect({ status: response.status, ...body }).toMatchObject({ status, error: { ...(expected.param !== undefined && { param: expected.param }), ...(expected.code !== undefined && { code: expected.code }) } });
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.message).not.toMatch(/\n|\bat .*\.ts:\d+/);
  if (expected.type) expect(body.error.type).toBe(expected.type);
  if (expected.message) expect(body.error.message).toMatch(expected.message);
}

describe.each(testDatabases())('errors of the API on $driver', (target) => {
  let t: TestApi;
  let completion: (body: Record<string, unknown>) => Promise<Response>;
  beforeAll(async () => {
    t = await startTestApi(target);
    completion = (body) => post(t, '/v1/completions', { model: t.model.name, prompt: 'Hello', max_tokens: 1, ...body });
  });
  afterAll(async () => {
    expect(await generationRows(t.db, t.model)).toBe(0);
    await t.close();
  });

  it('refuses bad values with 400, naming the field as OpenAI does (the engine\'s own rules and messages)', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ top_p: 1.5 }, 'top_p', /^top_p must be a number in \(0, 1\] \(1 keeps every token\), got 1\.5$/],
      [{ temperature: 'hot' }, 'temperature', /^temperature must be 0 .* got "hot"$/],
      [{ top_k: -1 }, 'top_k', /^top_k must be an integer >= 0/],
      [{ seed: 1.5 }, 'seed', /^seed must be an integer, got 1\.5$/],
      [{ max_tokens: -1 }, 'max_tokens', /^max_tokens must be an integer >= 0, got -1$/],
      [{ logprobs: 21 }, 'logprobs', /^logprobs must be an integer from 0 to 20, got 21$/],
      [{ n: 0 }, 'n', /^n must be an integer from 1 to 128, got 0$/],
      [{ stream: 'yes' }, 'stream', /^stream must be true or false/],
      [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', /at most 4/],
      [{ stop: '' }, 'stop', /empty/],
      [{ stream_options: { include_usage: true } }, 'stream_options', /only allowed with stream: true/],
      [{ prompt: '' }, 'prompt', /the prompt is empty/],
      [{ prompt: [] }, 'prompt', /empty list/],
      [{ prompt: [1, 'a'] }, 'prompt', /^prompt must be a string, a list of strings, a list of token ids, or a list of token-id lists/],
      [{ prompt: [t.model.vocab_size] }, 'prompt', /not in model .* vocabulary/],
      [{ prompt: 'a\u0000b' }, 'prompt', /U\+0000/],
      [{ model: undefined }, 'model', /^model is required/],
    ];
    for (const [body, param, message] of cases) await expectError(await completion(body), 400, { param, message, type: 'invalid_request_error' });
  });

  it('refuses unknown fields and OpenAI\'s unsupported ones by name, and takes the unsupported ones at the value that asks for nothing', async () => {
    await expectError(await completion({ typical_p: 0.1 }), 400, { param: 'typical_p', code: 'unknown_parameter', message: /unknown field "typical_p"/ });
    for (const [field, value] of [['best_of', 2], ['suffix', 'end'], ['logit_bias', { 50256: -100 }], ['user', 'alice']] as const) {
      await expectError(await completion({ [field]: value }), 400, { param: field, code: 'unsupported_parameter', message: new RegExp(`^${field} is not supported by gpt2sql`) });
    }
    const noops = { best_of: 1, suffix: '', presence_penalty: 0, frequency_penalty: 0, logit_bias: {}, user: null };
    expect((await completion({ ...noops, max_tokens: 0 })).status).toBe(200);
  });

  it('checks the penalties and min_p by their rules, naming the field', async () => {
    await expectError(await completion({ presence_penalty: 2.5 }), 400, { param: 'presence_penalty', message: /^presence_penalty must be a number from -2 to 2, got 2.5/ });
    await expectError(await completion({ frequency_penalty: '1' }), 400, { param: 'frequency_penalty', message: /^frequency_penalty must be a number from -2 to 2/ });
    await expectError(await completion({ min_p: 1.5 }), 400, { param: 'min_p', message: /^min_p must be a number in \[0, 1\]/ });
  });

  it('refuses with context_length_exceeded a prompt whose max_tokens do not fit the context; without max_tokens, fewer than 16 when the context is short', async () => {
    const nCtx = t.model.n_ctx;
    await expectError(await completion({ prompt: someIds(nCtx - 2), max_tokens: 5 }), 400, { param: 'max_tokens', code: 'context_length_exceeded', message: new RegExp(`n_ctx = ${nCtx} .* needs ${nCtx + 3} \\(${nCtx - 2} in the prompt, 5 for the completion\\)`) });
    await expectError(await completion({ prompt: someIds(nCtx + 1), max_tokens: 0 }), 400, { param: 'prompt', code: 'context_length_exceeded' });
    const short = await completion({ prompt: someIds(nCtx - 2), max_tokens: undefined, temperature: 0 });
    expect((await short.json()).usage).toMatchObject({ prompt_tokens: nCtx - 2, completion_tokens: 2 });
  });

  it('answers 404 for an unknown model or path, 405 for a wrong method, 400 for a body that is not a JSON object, 413 for one too large', async () => {
    await expectError(await completion({ model: 'gpt-4' }), 404, { param: 'model', code: 'model_not_found', message: new RegExp(`^model "gpt-4" is not loaded \\(loaded: .*${t.model.name}`) });
    await expectError(await fetch(`${t.api.url}/v1/models/gpt-4`), 404, { code: 'model_not_found' });
    await expectError(await fetch(`${t.api.url}/v1/chat/completions`, { method: 'POST' }), 404, { code: 'not_found', message: /^no endpoint POST \/v1\/chat\/completions; gpt2sql serves GET \/v1\/models, GET \/v1\/models\/\{model\}, POST \/v1\/completions, .*GET \/explorer\/generate-sql; .*GET \/health$/ });
    const wrongMethod = await fetch(`${t.api.url}/v1/completions`);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    await expectError(wrongMethod, 405, { code: 'method_not_allowed' });
    await expectError(await post(t, '/v1/completions', '{"model": '), 400, { message: /not valid JSON/ });
    await expectError(await post(t, '/v1/completions', '[1]'), 400, { message: /must be a JSON object, got an array/ });
    await expectError(await post(t, '/v1/completions', { model: t.model.name, prompt: 'x'.repeat(2 * 1024 * 1024) }), 413, { code: 'body_too_large' });
  });

  it('asks for the API key when it has one: 401 without it or with a wrong one, /health open to all', async () => {
    const api = await startAnotherApi(t, { apiKey: 'sesame' });
    try {
      const models = (headers: Record<string, string>) => fetch(`${api.url}/v1/models`, { headers });
      await expectError(await models({}), 401, { code: 'invalid_api_key', type: 'authentication_error', message: /needs an API key; send the header Authorization: Bearer KEY/ });
      await expectError(await models({ Authorization: 'Bearer open' }), 401, { code: 'invalid_api_key', message: /^the API key is wrong/ });
      expect((await models({ Authorization: 'Bearer sesame' })).status).toBe(200);
      expect((await fetch(`${api.url}/health`)).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('answers 429 when a step is full and the queue too, and serves again once there is room', async () => {
    const api = await startAnotherApi(t, { maxBatch: 1, maxQueue: 0 });
    try {
      const stop = new AbortController();
      const running = await fetch(`${api.url}/v1/completions`, {
        method: 'POST', signal: stop.signal,
        body: JSON.stringify({ model: t.model.name, prompt: 'Hello', max_tokens: 50, stream: true }),
      });
      const reader = running.body!.getReader();
      await reader.read(); // its first token: it is running
      const refused = await fetch(`${api.url}/v1/completions`, { method: 'POST', body: JSON.stringify({ model: t.model.name, prompt: 'Hi', max_tokens: 1 }) });
      expect(refused.headers.get('retry-after')).toBe('1');
      await expectError(refused, 429, { code: 'queue_full', type: 'rate_limit_error' });
      stop.abort();
      await reader.cancel().catch(() => {});
      await expect.poll(async () => (await (await fetch(`${api.url}/health`)).json()).generations, { timeout: 30_000 }).toEqual({ active: 0, waiting: 0 });
      expect((await fetch(`${api.url}/v1/completions`, { method: 'POST', body: JSON.stringify({ model: t.model.name, prompt: 'Hi', max_tokens: 1 }) })).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('answers 503 while the database is opening, and serves once it is open', async () => {
    let open!: (backend: Backend) => void;
    const api = await startApiServer({ backend: new Promise<Backend>((resolve) => (open = resolve)), port: 0 });
    try {
      const models = await fetch(`${api.url}/v1/models`);
      expect(models.headers.get('retry-after')).toBe('1');
      await expectError(models, 503, { code: 'loading', message: /still opening/ });
      await expectError(await fetch(`${api.url}/health`), 503, { code: 'loading' });
      open({ db: t.db, scheduler: new Scheduler(t.db) });
      await new Promise((resolve) => setImmediate(resolve));
      expect((await fetch(`${api.url}/v1/models`)).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('keeps serving after all of that', async () => {
    const response = await fetch(`${t.api.url}/v1/models`);
    expect(response.status).toBe(200);
    expect((await response.json()).data.map((model: { id: string }) => model.id)).toContain(t.model.name);
  });
});
