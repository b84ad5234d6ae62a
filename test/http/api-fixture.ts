/** The API server started in this process on a test database with a tiny model, and what tests compare it with. */
import OpenAI from 'openai';
import type { MakeCheckpointOptions } from '../../src/checkpoint/make-checkpoint.ts';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Database } from '../../src/db/database.ts';
import { Scheduler, type SchedulerOptions } from '../../src/engine/scheduler.ts';
import { decode } from '../../src/engine/tokenizer.ts';
import { startApiServer, type ApiServer } from '../../src/http/api-server.ts';
import { endOfTextId, generate } from '../../src/engine/generate.ts';
import { gpt2 } from '../../src/reference/gpt2.ts';
import type { Gpt2Weights } from '../../src/reference/weights.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { CONFIGS, dropModel, loadTestModel } from '../engine/forward-models.ts';
import { expectSampledAsReference } from '../helpers/sampled.ts';

export interface TestApi {
  db: Database;
  model: ModelRow;
  weights: Gpt2Weights;
  api: ApiServer;
  /** The official client, pointed at the API. */
  client: OpenAI;
  /** Closes the API, drops the model and closes the database. */
  close(): Promise<void>;
}

export interface TestApiOptions extends SchedulerOptions {
  config?: MakeCheckpointOptions;
  apiKey?: string;
}

/**
 * Opens `target`, loads a tiny model (1 block, 1 head, 16 wide unless told) and starts the API on
 * a free port of 127.0.0.1.
 *
 * @example
 * const t = await startTestApi(target);
 * await t.client.completions.create({ model: t.model.name, prompt: 'Hello', max_tokens: 3 });
 * await t.close();
 */
export async function startTestApi(target: TestDatabase, options: TestApiOptions = {}): Promise<TestApi> {
  const { config = CONFIGS['1 block, 1 head, 16 wide'], apiKey, ...scheduling } = options;
  const db = await target.open();
  const { model, weights } = await loadTestModel(db, config);
  const scheduler = new Scheduler(db, scheduling);
  const api = await startApiServer({ backend: Promise.resolve({ db, scheduler }), port: 0, apiKey });
  const client = new OpenAI({ baseURL: `${api.url}/v1`, apiKey: apiKey ?? 'none', maxRetries: 0 });
  return {
    db, model, weights, api, client,
    async close() {
      await api.close();
      await dropModel(db, model);
      await db.close();
    },
  };
}

/** Another API server on the same database and model, with a scheduler of its own. */
export function startAnotherApi(t: TestApi, options: SchedulerOptions & { apiKey?: string } = {}): Promise<ApiServer> {
  const { apiKey, ...scheduling } = options;
  return startApiServer({ backend: Promise.resolve({ db: t.db, scheduler: new Scheduler(t.db, scheduling) }), port: 0, apiKey });
}

/** Sampling as the reference takes it. */
export interface Sampled {
  maxTokens: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

/**
 * What a completion must give, as tokens, text and finish_reason (stop when it ended at
 * <|endoftext|>), with OpenAI's defaults (temperature 1, seed 0): the reference generator's tokens.
 * The engine generates them alone (what the API must give to the letter, batched or not), and
 * they are checked against the reference step by step (test/helpers/sampled.ts: equal on a float8
 * kernel; on pgvector equal but where its float4 logits put a draw on the other side of a
 * boundary, within the kernel's tolerance).
 */
export async function referenceCompletion(t: TestApi, prompt: number[], options: Sampled): Promise<{ tokens: number[]; text: string; finish: 'stop' | 'length' }> {
  const run = { temperature: 1, seed: 0, ...options, eotId: await endOfTextId(t.db, t.model) };
  const { tokens, stop } = await generate(t.db, t.model, prompt, run);
  expectSampledAsReference(t.weights, prompt, run, tokens, t.model.kernel, `a completion of ${JSON.stringify(options)}`);
  return { tokens, text: await decode(t.db, t.model, tokens), finish: stop === 'eot' ? 'stop' : 'length' };
}

/** ln P(ids[i] | ids[<i]) for i >= 1 under the reference, at temperature 1 (index 0: null). */
export function referenceLogprobs(weights: Gpt2Weights, ids: number[]): Array<number | null> {
  const logits = gpt2(weights, ids); // [T, V]
  return ids.map((id, i) => (i === 0 ? null : logSoftmax(logits[i - 1])[id]));
}

function logSoftmax(x: Float64Array): Float64Array {
  const max = Math.max(...x);
  const log = Math.log(x.reduce((sum, value) => sum + Math.exp(value - max), 0));
  return x.map((value) => value - max - log);
}

/** Rows the generations of `model` left: its sessions and its cache rows. */
export async function generationRows(db: Database, model: ModelRow): Promise<number> {
  const [row] = await db.query<{ n: number }>(`
    SELECT (SELECT count(*) FROM gpt2sql.sessions WHERE model = $1)
         + (SELECT count(*) FROM ${quoteIdent(model.schema_name)}.kv_cache) AS n`, [model.name]);
  return Number(row.n);
}

/** POSTs JSON (or raw text) to the API with fetch. */
export function post(t: TestApi, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.api.url}${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
