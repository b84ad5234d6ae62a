import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Database } from '../../src/db/database.ts';
import { endOfTextId, generate, type GeneratedToken } from '../../src/engine/generate.ts';
import { openSession } from '../../src/engine/session.ts';
import { GptSqlError } from '../../src/errors.ts';
import { cachedHeads, kernel } from '../../src/sql/kernels/index.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { renderInlined, type Sql } from '../../src/sql/sql.ts';
import { generate as referenceGenerate } from '../../src/reference/generate.ts';
import { testDatabases } from '../helpers/databases.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';
import { checkedGeneration, expectSampledAsReference } from '../helpers/sampled.ts';
import { CONFIGS, dropModel, loadTestModel, someIds, type LoadedModel } from './forward-models.ts';

const PROMPT = someIds(5);
const SAMPLING = { temperature: 1, topK: 40, topP: 0.95, seed: 42 };

/** Rows one session has in the generation tables: its row in gpt2sql.sessions and its rows in the model's cache. */
async function sessionRows(db: Database, model: ModelRow, session: number): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM ${quoteIdent(model.schema_name)}.kv_cache WHERE session = $1)
          + (SELECT count(*) FROM gpt2sql.sessions WHERE session = $1) AS n`,
    [session]);
  return Number(row.n);
}

/** Sessions of `model` left behind, plus any rows in its cache (no other test uses this model). */
async function leftovers(db: Database, model: ModelRow): Promise<number> {
  const [row] = await db.query<{ n: number }>(`
    SELECT (SELECT count(*) FROM gpt2sql.sessions WHERE model = $1)
         + (SELECT count(*) FROM ${quoteIdent(model.schema_name)}.kv_cache) AS n`,
    [model.name]);
  return Number(row.n);
}

describe.each(testDatabases())('generation on $driver', (target) => {
  let db: Database;
  let m: LoadedModel;
  beforeAll(async () => {
    db = await target.open();
    m = await loadTestModel(db, CONFIGS['2 blocks, 2 heads, 32 wide']);
    await db.exec(`SET search_path TO ${quoteIdent(m.model.schema_name)}, public`); // this test's own queries of vocab
  });
  afterAll(async () => {
    await dropModel(db, m.model);
    await db.close();
  });

  it('continues greedily exactly as the reference, 20 tokens, streaming each with its bytes', async () => {
    const streamed: GeneratedToken[] = [];
    const result = await generate(db, m.model, PROMPT, { maxTokens: 20, onToken: (token) => streamed.push(token) });
    expect(result).toEqual({ tokens: referenceGenerate(m.weights, PROMPT, { maxTokens: 20, eotId: m.eotId }), stop: 'max_tokens' });
    expect(streamed.map((t) => t.id)).toEqual(result.tokens);
    const [vocab] = await db.query<{ bytes: Uint8Array }>('SELECT bytes FROM vocab WHERE token = $1', [result.tokens[0]]);
    expect(Buffer.from(streamed[0].bytes)).toEqual(Buffer.from(vocab.bytes));
  });

  it('samples the reference\'s tokens with a seed, and the same again with the same seed', async () => {
    const expected = await checkedGeneration(db, m.model, m.weights, PROMPT, { maxTokens: 12, ...SAMPLING });
    expect((await generate(db, m.model, PROMPT, { maxTokens: 12, ...SAMPLING })).tokens).toEqual(expected);
    const other = await checkedGeneration(db, m.model, m.weights, PROMPT, { maxTokens: 12, ...SAMPLING, seed: 43 });
    expect(other).not.toEqual(expected);
  });

  it('gives the same tokens with the incremental and the recompute engine', async () => {
    const options = { maxTokens: 8, temperature: 1.2, seed: 7 };
    const incremental = await generate(db, m.model, PROMPT, { ...options, engine: 'incremental' });
    const recompute = await generate(db, m.model, PROMPT, { ...options, engine: 'recompute' });
    expect(recompute).toEqual(incremental);
    expectSampledAsReference(m.weights, PROMPT, { ...options, eotId: m.eotId }, incremental.tokens, m.model.kernel, 'incremental and recompute');
  });

  it('with top-k 1 continues as greedy does', async () => {
    const greedy = await generate(db, m.model, PROMPT, { maxTokens: 6 });
    expect(await generate(db, m.model, PROMPT, { maxTokens: 6, temperature: 1.5, topK: 1, seed: 3 })).toEqual(greedy);
  });

  it('stops at <|endoftext|>, found by its symbol in the vocabulary, without returning it', async () => {
    expect(m.eotId).toBe(SMALL_VOCAB - 1); // the small vocabulary's last token
    expect(await endOfTextId(db, m.model)).toBe(m.eotId);
    const sampled = await checkedGeneration(db, m.model, m.weights, PROMPT, { maxTokens: 10, ...SAMPLING });
    const at = sampled.findIndex((id, i) => i >= 2 && !sampled.slice(0, i).includes(id));
    const eot = sampled[at];
    try { // make a token the reference samples later the end of text, in this test model only
      await db.query("UPDATE vocab SET symbol = 'moved <|endoftext|>' WHERE symbol = '<|endoftext|>'");
      await db.query("UPDATE vocab SET symbol = '<|endoftext|>' WHERE token = $1", [eot]);
      const result = await generate(db, m.model, PROMPT, { maxTokens: 10, ...SAMPLING });
      expect(result).toEqual({ tokens: sampled.slice(0, at), stop: 'eot' });
      expectSampledAsReference(m.weights, PROMPT, { maxTokens: 10, ...SAMPLING, eotId: eot }, result.tokens, m.model.kernel, 'stopped at the moved <|endoftext|>');
    } finally {
      await db.query("UPDATE vocab SET symbol = $2 WHERE token = $1", [eot, `restored ${eot}`]);
      await db.query("UPDATE vocab SET symbol = '<|endoftext|>' WHERE symbol = 'moved <|endoftext|>'");
    }
  });

  it('stops at the small vocabulary\'s own <|endoftext|>, its last token, where the reference does', async () => {
    // The reference decides: the first seed whose generation (nearly uniform at temperature 100) draws it.
    const options = { maxTokens: 40, temperature: 100 };
    const seed = Array.from({ length: 5000 }, (_, s) => s)
      .find((s) => referenceGenerate(m.weights, PROMPT, { ...options, seed: s, eotId: m.eotId }).length < options.maxTokens);
    expect(seed, 'a seed whose reference generation ends at <|endoftext|>').toBeDefined();
    const result = await generate(db, m.model, PROMPT, { ...options, seed });
    expect(result.stop).toBe('eot');
    expect(result.tokens).not.toContain(m.eotId);
    expectSampledAsReference(m.weights, PROMPT, { ...options, seed, eotId: m.eotId }, result.tokens, m.model.kernel, 'stopped at the small vocabulary\'s <|endoftext|>');
  });

  it('stops when the context is full', async () => {
    const prompt = someIds(m.model.n_ctx - 3);
    const result = await generate(db, m.model, prompt, { maxTokens: 10 });
    expect(result).toEqual({ tokens: referenceGenerate(m.weights, prompt, { maxTokens: 10, eotId: m.eotId }), stop: 'n_ctx' });
    expect(result.tokens).toHaveLength(3);
  });

  it('removes its session and cache when done, when aborted and after an error', async () => {
    expect(await leftovers(db, m.model)).toBe(0);
    await generate(db, m.model, PROMPT, { maxTokens: 3 });
    expect(await leftovers(db, m.model)).toBe(0);
    const controller = new AbortController();
    const aborted = await generate(db, m.model, PROMPT, { maxTokens: 10, signal: controller.signal, onToken: () => controller.abort() });
    expect(aborted.stop).toBe('aborted');
    expect(aborted.tokens).toHaveLength(1);
    expect(await leftovers(db, m.model)).toBe(0);
    await expect(generate(db, m.model, PROMPT, { maxTokens: 3, onToken: () => { throw new Error('consumer failed'); } })).rejects.toThrow('consumer failed');
    expect(await leftovers(db, m.model)).toBe(0);
  });

  it('removes sessions a killed process left behind, and keeps live ones', async () => {
    const live = await openSession(db, m.model.name);
    const [{ session: stale }] = await db.query<{ session: number }>(
      "INSERT INTO gpt2sql.sessions (model, backend_pid, started_at) VALUES ($1, pg_backend_pid(), '2000-01-01') RETURNING session",
      [`${m.model.name}_gone`]);
    const { k, v } = cachedHeads(kernel(m.model.kernel), m.model.n_embd / m.model.n_head);
    const head = `array_fill(0.5::float8, ARRAY[${m.model.n_embd / m.model.n_head}])`;
    const cached = (part: Sql) => renderInlined(part, {});
    await db.query(`INSERT INTO ${quoteIdent(m.model.schema_name)}.kv_cache VALUES ($1, 0, 0, 0, ${cached(k.prepare(head))}, ${cached(v.prepare(head))})`, [stale]);
    expect(await sessionRows(db, m.model, Number(stale))).toBe(2);
    const next = await openSession(db, m.model.name);
    expect(await sessionRows(db, m.model, Number(stale))).toBe(0);
    expect(await sessionRows(db, m.model, live.id)).toBe(1);
    await live.close();
    await next.close();
    expect(await leftovers(db, m.model)).toBe(0);
  });

  it('refuses bad options and prompts before sending SQL', async () => {
    const bad: Array<[number[], Record<string, unknown>, RegExp]> = [
      [[], { maxTokens: 3 }, /prompt is empty/],
      [someIds(m.model.n_ctx + 1), { maxTokens: 3 }, /reads at most n_ctx = 128/],
      [[m.model.vocab_size], { maxTokens: 3 }, /not in model .* vocabulary/],
      [PROMPT, { maxTokens: -1 }, /^max_tokens must be an integer >= 0, got -1$/],
      [PROMPT, { maxTokens: 3, temperature: -0.5 }, /^temperature must be 0 \(always takes the most probable token\) or a number from 0.000001 to 1000000, got -0.5$/],
      [PROMPT, { maxTokens: 3, topK: 1.5 }, /^top_k must be an integer >= 0 \(0 keeps every token\), got 1.5$/],
      [PROMPT, { maxTokens: 3, topP: 0 }, /^top_p must be a number in \(0, 1\] \(1 keeps every token\), got 0$/],
      [PROMPT, { maxTokens: 3, seed: '7' }, /^seed must be an integer, got "7"$/], // numbers only: a string is refused, not parsed
    ];
    for (const [prompt, options, message] of bad) {
      const attempt = generate(db, m.model, prompt, options as never);
      await expect(attempt).rejects.toThrow(GptSqlError);
      await expect(attempt).rejects.toThrow(message);
    }
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('concurrent generation on postgres', () => {
  it('keeps each session\'s cache to itself', async () => {
    const [target] = testDatabases().filter((t) => t.driver === 'postgres');
    const [a, b] = [await target.open(), await target.open()];
    const m = await loadTestModel(a, CONFIGS['1 block, 1 head, 16 wide']);
    try {
      const options = [{ maxTokens: 10, ...SAMPLING }, { maxTokens: 10, temperature: 0.9, seed: 5 }];
      const results = await Promise.all([generate(a, m.model, PROMPT, options[0]), generate(b, m.model, someIds(9), options[1])]);
      expectSampledAsReference(m.weights, PROMPT, { ...options[0], eotId: m.eotId }, results[0].tokens, m.model.kernel, 'session a');
      expectSampledAsReference(m.weights, someIds(9), { ...options[1], eotId: m.eotId }, results[1].tokens, m.model.kernel, 'session b');
      expect(results.map((r) => r.tokens)).toEqual([
        (await generate(a, m.model, PROMPT, options[0])).tokens, // each alone, one after the other
        (await generate(b, m.model, someIds(9), options[1])).tokens,
      ]);
    } finally {
      await dropModel(a, m.model);
      await Promise.all([a.close(), b.close()]);
    }
  });
});
