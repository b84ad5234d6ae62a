import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeadResponse, NextResponse, TraceResponse } from '../../src/explorer/explorer-api.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { EXPLORER_TRACE_LIMIT, explorerTraceName } from '../../src/trace/explorer-traces.ts';
import { traceSchema } from '../../src/trace/trace-forward-pass.ts';
import { testDatabases } from '../helpers/databases.ts';
import { expectClose, TRACE_TOLERANCE } from '../helpers/numeric.ts';
import { CONFIGS } from '../engine/forward-models.ts';
import { lensMismatch, referenceViews, type ReferenceViews } from '../explorer/reference-views.ts';
import { startAnotherApi, startTestApi, type TestApi } from './api-fixture.ts';
import { cutTiktoken, SMALL_VOCAB } from '../helpers/small-vocab.ts';

/** The models here have the small vocabulary: its reference tokenizer. */
const tiktoken = cutTiktoken(SMALL_VOCAB);
const PROMPT = 'The cat sat on the mat, <b>twice</b>';

describe.each(testDatabases())('the explorer\'s endpoints on $driver', (target) => {
  let t: TestApi;
  let reference: ReferenceViews;
  let tolerance: number;
  const get = async <T>(path: string, query: Record<string, string | number>): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${t.api.url}${path}?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`);
    return { status: response.status, body: await response.json() as T };
  };
  const traced = (query: Record<string, string | number> = {}) => ({ model: t.model.name, prompt: PROMPT, ...query });

  beforeAll(async () => {
    t = await startTestApi(target, { config: CONFIGS['2 blocks, 2 heads, 32 wide'] });
    reference = referenceViews(t.weights, tiktoken.encode(PROMPT));
    tolerance = TRACE_TOLERANCE[t.model.kernel];
  });
  afterAll(async () => {
    const schemas = await explorerTraces(t);
    await t.close().finally(async () => {
      const db = await target.open();
      for (const schema of schemas) await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      await db.close();
    });
  });

  it('traces a prompt once: its tokens, every head\'s attention and the logit lens, equal to the reference, with the SQL of each', async () => {
    const first = await get<TraceResponse>('/explorer/trace', traced());
    expect(first.status).toBe(200);
    const { body } = first;
    expect(body.trace).toBe(traceSchema(explorerTraceName(t.model.name, PROMPT)));
    expect(body.traced_seconds).toBeGreaterThan(0);
    expect(body.tokens.map((token) => token.id)).toEqual(tiktoken.encode(PROMPT));
    expect(body.tokens.map((token) => token.text).join('')).toBe(PROMPT);
    expect(body.tokens.map((token) => token.bytes).join('')).toBe(Buffer.from(PROMPT).toString('hex'));
    for (let b = 0; b < t.model.n_layer; b++) {
      for (let h = 0; h < t.model.n_head; h++) expectClose(body.attention[b][h], reference.att(b, h), 5e-5 + tolerance, `block ${b} head ${h}, rounded to 4 decimals`);
      expect(lensMismatch(body.lens[b], reference.lens(b), tolerance), `lens of block ${b}`).toBeUndefined();
    }
    for (const shown of Object.values(body.sql)) {
      expect(shown.sql).toContain(`SET search_path TO ${quoteIdent(t.model.schema_name)}, public;`);
      expect(shown.tables.every((table) => table.startsWith(`${body.trace}.`) || table.startsWith(`${t.model.schema_name}.`))).toBe(true);
    }
    expect(body.sql.attention.sql).toContain(`FROM ${quoteIdent(body.trace)}.att`);

    const again = await get<TraceResponse>('/explorer/trace', traced());
    expect(again.body.traced_seconds, 'the second request reads the same trace').toBe(0);
    expect(again.body.attention).toEqual(body.attention);
  });

  it('gives one head\'s weights exactly as the att table has them', async () => {
    const { status, body } = await get<HeadResponse>('/explorer/head', traced({ block: 1, head: 1 }));
    expect(status).toBe(200);
    const schema = traceSchema(explorerTraceName(t.model.name, PROMPT));
    const rows = await t.db.query<{ t: number; s: number; weight: number }>(`SELECT t, s, weight FROM ${schema}.att WHERE block = 1 AND head = 1`);
    for (const row of rows) expect(body.weights[row.t][row.s]).toBe(row.weight);
    expect(body.weights.flat().length).toBe(rows.length);
    expectClose(body.weights, reference.att(1, 1), tolerance, 'block 1 head 1');
    expect(body.tokens.join('')).toBe(PROMPT);
    expect(body.sql.sql).toMatch(/WHERE block = 1::int AND head = 1::int/);
  });

  it('recomputes the next-token candidates for each setting of the sliders from the trace\'s logits, as the reference samples', async () => {
    for (const [temperature, topK, topP, minP] of [[1, 0, 1, 0], [0.7, 5, 1, 0], [1.8, 0, 0.5, 0], [0.3, 3, 0.9, 0], [1.5, 0, 1, 0.1], [1, 8, 0.95, 0.3]]) {
      const { status, body } = await get<NextResponse>('/explorer/next', traced({ temperature, top_k: topK, top_p: topP, min_p: minP, count: 12 }));
      expect(status).toBe(200);
      const expected = reference.next(temperature, topK, topP, minP);
      const what = `temperature ${temperature}, top_k ${topK}, top_p ${topP}, min_p ${minP}`;
      expect(body.candidates.map((row) => row.rank)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expectClose(body.candidates.map((row) => row.prob), body.candidates.map((row) => expected.probs[row.token]), tolerance, `${what}: probabilities`);
      expectClose(body.candidates.map((row) => row.logit), body.candidates.map((row) => reference.logits[row.token]), tolerance, `${what}: logits`);
      expect(body.candidates.map((row) => row.kept), `${what}: kept`).toEqual(body.candidates.map((row) => expected.kept.has(row.token)));
      expectClose(body.candidates.map((row) => row.kept_prob), body.candidates.map((row) => expected.kept.get(row.token) ?? 0), tolerance, `${what}: kept probabilities`);
      let running = 0;
      const cumulative = body.candidates.map((row) => (row.kept ? (running += expected.kept.get(row.token)!) : 0));
      expectClose(body.candidates.map((row) => row.cumulative), cumulative, tolerance, `${what}: cumulative`);
      expect(body.kept_count).toBe(expected.kept.size);
      expect(body.candidates.map((row) => row.text)).toEqual(body.candidates.map((row) => tiktoken.decode([row.token])));
    }
    const greedy = await get<NextResponse>('/explorer/next', traced({ temperature: 0, count: 3 }));
    expect(greedy.body.candidates.map((row) => [row.kept, row.prob])).toEqual([[true, 1], [false, 0], [false, 0]]);
    expect(greedy.body.kept_count).toBe(1);
  });

  it('moves the sliders without a forward pass: the candidates come while the model cannot run one', async () => {
    await get('/explorer/trace', traced());
    const weights = `${quoteIdent(t.model.schema_name)}.c_attn_w`;
    await t.db.exec(`ALTER TABLE ${weights} RENAME TO c_attn_w_away`);
    try {
      const { status, body } = await get<NextResponse>('/explorer/next', traced({ temperature: 1.3 }));
      expect(status).toBe(200);
      expectClose(body.candidates.map((row) => row.prob), body.candidates.map((row) => reference.next(1.3, 0, 1).probs[row.token]), tolerance, 'probabilities at 1.3');
      const other = await get<{ error: { message: string } }>('/explorer/next', traced({ prompt: 'a prompt not traced yet' }));
      expect(other.status, 'a new prompt needs the forward pass, which cannot run now').toBe(500);
    } finally {
      await t.db.exec(`ALTER TABLE ${quoteIdent(t.model.schema_name)}.c_attn_w_away RENAME TO c_attn_w`);
    }
  });

  it('refuses bad parameters with a 400 naming them, and keeps serving', async () => {
    const refused = async (path: string, query: Record<string, string | number>, status: number, param: string | null, message: RegExp) => {
      const { status: got, body } = await get<{ error: { param: string | null; message: string } }>(path, query);
      expect(got, `${path} ${JSON.stringify(query)}`).toBe(status);
      expect(body.error).toMatchObject({ param, message: expect.stringMatching(message) });
    };
    await refused('/explorer/head', traced({ block: 2, head: 0 }), 400, 'block', /block must be an integer from 0 to 1 \(the model has 2 blocks\), got 2/);
    await refused('/explorer/head', traced({ block: 0, head: -1 }), 400, 'head', /head must be an integer from 0 to 1/);
    await refused('/explorer/head', traced({ block: 'x', head: 0 }), 400, 'block', /block must be a number, got "x"/);
    await refused('/explorer/head', traced({ block: 0 }), 400, 'head', /head is required/);
    await refused('/explorer/next', traced({ temperature: -1 }), 400, 'temperature', /temperature must be 0 .* got -1/);
    await refused('/explorer/next', traced({ top_p: 0 }), 400, 'top_p', /top_p must be a number in \(0, 1\]/);
    await refused('/explorer/next', traced({ top_k: 1.5 }), 400, 'top_k', /top_k must be an integer/);
    await refused('/explorer/next', traced({ count: 1000 }), 400, 'count', /count must be an integer from 1 to 100/);
    await refused('/explorer/next', traced({ sql: 'SELECT 1' }), 400, 'sql', /unknown parameter sql; this endpoint takes model, prompt/);
    await refused('/explorer/trace', { model: t.model.name }, 400, 'prompt', /prompt is required/);
    await refused('/explorer/trace', { model: t.model.name, prompt: '' }, 400, 'prompt', /prompt is empty/);
    await refused('/explorer/trace', { model: 'no_such_model', prompt: 'x' }, 404, 'model', /model "no_such_model" is not loaded/);
    await refused('/explorer/trace', { model: t.model.name, prompt: ' the'.repeat(t.model.n_ctx + 2) }, 400, 'prompt', /the prompt has 130 tokens but model .* reads at most n_ctx = 128/);
    await refused('/explorer/generate-sql', traced({ seed: 0.5 }), 400, 'seed', /seed must be an integer/);
    expect((await get<TraceResponse>('/explorer/trace', traced())).status).toBe(200);
  });

  it('gives the psql script of the generation with its options, the prompt as a quoted literal', async () => {
    const { status, body } = await get<{ sql: string; tables: string[] }>('/explorer/generate-sql', traced({ max_tokens: 7, temperature: 0.8, top_k: 40, top_p: 0.95, min_p: 0.05, frequency_penalty: 0.5, seed: 42 }));
    expect(status).toBe(200);
    expect(body.sql).toContain(`'${PROMPT}'::text`);
    // The one generation's options: a batch of one, each an array of one value.
    for (const literal of ['7::int', "'{0.8}'::float8[]", "'{40}'::int[]", "'{0.95}'::float8[]", "'{0.05}'::float8[]", "'{0.5}'::float8[]", "'{42}'::bigint[]"]) expect(body.sql).toContain(literal);
    expect(body.sql).toContain('--min-p 0.05 --presence-penalty 0 --frequency-penalty 0.5 --seed 42');
    expect(body.tables).toContain(`${t.model.schema_name}.wte`);
  });

  it('keeps the newest traces only, and serves the page without a key while the data needs one', async () => {
    for (let i = 0; i <= EXPLORER_TRACE_LIMIT; i++) expect((await get('/explorer/trace', traced({ prompt: `prompt ${i}` }))).status).toBe(200);
    const schemas = await explorerTraces(t);
    expect(schemas.length).toBe(EXPLORER_TRACE_LIMIT);
    expect(schemas).toContain(traceSchema(explorerTraceName(t.model.name, `prompt ${EXPLORER_TRACE_LIMIT}`)));

    const locked = await startAnotherApi(t, { apiKey: 'sesame' });
    try {
      const page = await fetch(`${locked.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
      expect(await page.text()).toContain('<script type="module" src="explorer.js"></script>');
      expect((await fetch(`${locked.url}/explorer.js`)).status).toBe(200);
      expect((await fetch(`${locked.url}/explorer/models`)).status).toBe(401);
      const models = await fetch(`${locked.url}/explorer/models`, { headers: { Authorization: 'Bearer sesame' } });
      expect((await models.json()).models.map((model: { name: string }) => model.name)).toContain(t.model.name);
    } finally {
      await locked.close();
    }
  });
});

/** The explorer's trace schemas of the test's model (the server database is shared with other tests). */
async function explorerTraces(t: TestApi): Promise<string[]> {
  const schemas = await t.db.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, 'trace_explore_')");
  const mine: string[] = [];
  for (const { nspname } of schemas) {
    const [info] = await t.db.query<{ model: string }>(`SELECT model FROM ${quoteIdent(nspname)}.info`).catch(() => []);
    if (info?.model === t.model.name) mine.push(nspname);
  }
  return mine;
}
