/**
 * The explorer page's JSON endpoints (types in src/explorer/explorer-api.ts). Each takes typed
 * query parameters, never SQL: the model and the prompt name a trace (made once, src/trace/
 * explorer-traces.ts), and each picture is one of the trace's views (src/trace/trace-views.ts),
 * sent with the SQL behind it.
 */
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import type {
  Candidate, ExplorerModel, ExplorerToken, HeadResponse, LensRow, ModelsResponse, NextResponse, TraceResponse,
} from '../explorer/explorer-api.ts';
import { listModels } from '../engine/model.ts';
import { checkPrompt, checkPromptText, completionOptions, samplingOptions } from '../engine/options.ts';
import { encode } from '../engine/tokenizer.ts';
import { generateScript } from '../trace/explorer-scripts.ts';
import { fromApiFields, numberKind, SAMPLING_FIELDS, SAMPLING_KEYS, type Sampling, type SamplingKey } from '../sql/sampling-fields.ts';
import { ExplorerTraces, type ExplorerTrace } from '../trace/explorer-traces.ts';
import { attentionView, headView, lensView, nextView, runView, shownView, tokensView } from '../trace/trace-views.ts';
import type { ApiCall } from './api-call.ts';
import { asFieldError, invalidField } from './api-error.ts';
import { findApiModel } from './models.ts';
import { queryParams, required, type ParamKind } from './query-params.ts';
import { sendJson } from './respond.ts';

/** The most candidates /explorer/next lists. */
const MOST_CANDIDATES = 100;

const tracesOf = new WeakMap<Database, ExplorerTraces>();

function traces(db: Database): ExplorerTraces {
  if (!tracesOf.has(db)) tracesOf.set(db, new ExplorerTraces(db));
  return tracesOf.get(db)!;
}

function explorerModel(model: ModelRow): ExplorerModel {
  return {
    name: model.name, n_layer: model.n_layer, n_head: model.n_head, n_embd: model.n_embd, n_ctx: model.n_ctx,
    n_vocab: model.vocab_size, kernel: model.kernel,
  };
}

/** GET /explorer/models: the loaded models with their hyperparameters. */
export async function getExplorerModels(call: ApiCall): Promise<void> {
  queryParams(call.request, {});
  const models = await listModels(call.backend.db);
  sendJson(call.response, 200, { models: models.map(explorerModel) } satisfies ModelsResponse);
}

const TRACED = { model: 'text', prompt: 'text' } as const satisfies Record<string, ParamKind>;

/** The request's model (404 when not loaded) and prompt, checked by the engine's rule for prompt texts. */
async function modelAndPrompt(call: ApiCall, params: Partial<Record<'model' | 'prompt', string | number>>): Promise<{ model: ModelRow; prompt: string }> {
  const name = required(params.model, 'model', 'name a loaded model (GET /explorer/models lists them)') as string;
  const prompt = required(params.prompt, 'prompt', 'the text to look inside the model with') as string;
  const model = await findApiModel(call.backend.db, name);
  await asFieldError('prompt', () => checkPromptText(prompt));
  return { model, prompt };
}

/** The model and prompt of a request, and their trace (made now if needed). */
async function traced(call: ApiCall, params: Partial<Record<'model' | 'prompt', string | number>>): Promise<{ model: ModelRow; trace: ExplorerTrace }> {
  const { model, prompt } = await modelAndPrompt(call, params);
  const trace = await asFieldError('prompt', () => traces(call.backend.db).get(model, prompt));
  return { model, trace };
}

/**
 * GET /explorer/trace?model=M&prompt=P: the prompt's tokens, every head's attention and the
 * logit lens, from its trace.
 */
export async function getExplorerTrace(call: ApiCall): Promise<void> {
  const { model, trace } = await traced(call, queryParams(call.request, TRACED));
  const { db } = call.backend;
  const views = { tokens: tokensView(model, trace.schema), attention: attentionView(trace.schema), lens: lensView(trace.schema) };
  const tokens = await runView<{ t: number; token: number; text: string; bytes: string }>(db, model, views.tokens);
  const att = await runView<{ block: number; head: number; t: number; s: number; weight: number }>(db, model, views.attention);
  const lens = await runView<Omit<LensRow, 'block'> & { block: number }>(db, model, views.lens);
  const attention = Array.from({ length: model.n_layer }, () => Array.from({ length: model.n_head }, () => tokens.map((_, t) => new Array<number>(t + 1).fill(0))));
  for (const row of att) attention[row.block][row.head][row.t][row.s] = row.weight;
  const byBlock = Array.from({ length: model.n_layer }, (_, block) => lens.filter((row) => row.block === block));
  sendJson(call.response, 200, {
    model: explorerModel(model),
    trace: trace.schema,
    traced_seconds: trace.seconds,
    tokens: tokens.map((row): ExplorerToken => ({ t: row.t, id: row.token, text: row.text, bytes: row.bytes })),
    attention,
    lens: byBlock,
    sql: { tokens: shownView(model, views.tokens), attention: shownView(model, views.attention), lens: shownView(model, views.lens) },
  } satisfies TraceResponse);
}

/** GET /explorer/head?model=M&prompt=P&block=B&head=H: one head's attention weights, exact. */
export async function getExplorerHead(call: ApiCall): Promise<void> {
  const params = queryParams(call.request, { ...TRACED, block: 'integer', head: 'integer' });
  const { model, trace } = await traced(call, params);
  const block = inRange(params.block, 'block', 0, model.n_layer - 1, `the model has ${model.n_layer} blocks`);
  const head = inRange(params.head, 'head', 0, model.n_head - 1, `the model has ${model.n_head} heads`);
  const view = headView(trace.schema, block, head);
  const rows = await runView<{ t: number; s: number; weight: number }>(call.backend.db, model, view);
  const texts = await runView<{ text: string }>(call.backend.db, model, tokensView(model, trace.schema));
  const weights = texts.map((_, t) => new Array<number>(t + 1).fill(0));
  for (const row of rows) weights[row.t][row.s] = row.weight;
  sendJson(call.response, 200, {
    block, head, tokens: texts.map((row) => row.text), weights, sql: shownView(model, view),
  } satisfies HeadResponse);
}

/** An integer parameter from `min` to `max` (both included). */
function inRange(value: string | number | undefined, name: string, min: number, max: number, why: string): number {
  const number = required(value, name, `an integer from ${min} to ${max}`) as number;
  if (number < min || number > max) throw invalidField(name, `${name} must be an integer from ${min} to ${max} (${why}), got ${number}`);
  return number;
}

/** The query parameters of the sampling fields `keys` (top_p: a number). */
const samplingParams = (keys: readonly SamplingKey[]): Record<string, ParamKind> =>
  Object.fromEntries(keys.map((key) => [SAMPLING_FIELDS[key].name, numberKind(key)]));

/** What the next panel's candidates depend on: the filters (penalties need generated tokens, the seed a draw). */
const NEXT_FIELDS: SamplingKey[] = ['temperature', 'topK', 'topP', 'minP'];

/** The sampling fields given as query parameters, the page's temperature 1 by default; unchecked. */
const givenSampling = (params: Record<string, string | number | undefined>): Partial<Sampling> =>
  ({ ...(fromApiFields((name) => params[name]) as Partial<Sampling>), temperature: (params.temperature ?? 1) as number });

/**
 * GET /explorer/next?model=M&prompt=P&temperature=X&top_k=K&top_p=P&min_p=M&count=N: the
 * candidates for the next token under those options, from the trace's logits (no forward pass).
 */
export async function getExplorerNext(call: ApiCall): Promise<void> {
  const params = queryParams(call.request, { ...TRACED, ...samplingParams(NEXT_FIELDS), count: 'integer' });
  const sampling = samplingOptions(givenSampling(params));
  const count = params.count === undefined ? 20 : inRange(params.count, 'count', 1, MOST_CANDIDATES, 'candidates to list');
  const { model, trace } = await traced(call, params);
  const view = nextView(model, trace.schema, sampling, count);
  const rows = await runView<Candidate & { kept_count: number }>(call.backend.db, model, view);
  sendJson(call.response, 200, {
    temperature: sampling.temperature, top_k: sampling.topK, top_p: sampling.topP, min_p: sampling.minP,
    candidates: rows.map(({ kept_count: _, ...candidate }) => candidate),
    kept_count: rows[0]?.kept_count ?? 0,
    sql: shownView(model, view),
  } satisfies NextResponse);
}

/**
 * GET /explorer/generate-sql?model=M&prompt=P&max_tokens=N&temperature=X&top_k=K&…&seed=S (every
 * sampling field): the psql script of `gpt2sql sql complete` with those options.
 */
export async function getExplorerGenerateSql(call: ApiCall): Promise<void> {
  const params = queryParams(call.request, { ...TRACED, max_tokens: 'integer', ...samplingParams(SAMPLING_KEYS) });
  const options = completionOptions({ ...givenSampling(params), maxTokens: (params.max_tokens ?? 16) as number });
  const { model, prompt } = await modelAndPrompt(call, params);
  await asFieldError('prompt', async () => checkPrompt(model, await encode(call.backend.db, model, prompt)));
  sendJson(call.response, 200, generateScript(model, prompt, options));
}
