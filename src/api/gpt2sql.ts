/**
 * The library: one object over one database, with a method per thing gpt2sql does. The CLI's
 * commands are written over the same calls; the HTTP server is started from here too.
 */
import { openCheckpoint } from '../checkpoint/open-checkpoint.ts';
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database, WireServer } from '../db/database.ts';
import { openDatabase } from '../db/open-database.ts';
import { generate, type Generation } from '../engine/generate.ts';
import { findModel, listModels } from '../engine/model.ts';
import { nextTokens, type Candidate } from '../engine/next.ts';
import { checkPrompt, checkPromptText, type NextOptions, type ScoreOptions } from '../engine/options.ts';
import { bufferFit, type BufferFit } from '../engine/buffers.ts';
import { scoreTokens, type Scoring } from '../engine/score.ts';
import { TokenText } from '../engine/token-text.ts';
import { decode, decodeEach, encode, type TokenPiece } from '../engine/tokenizer.ts';
import { parallelSummary, workersOption, type Workers } from '../engine/workers.ts';
import type { ApiServer } from '../http/api-server.ts';
import { dropModel } from '../load/drop-model.ts';
import { loadModel } from '../load/load-model.ts';
import { defaultModelName } from '../load/model-names.ts';
import { traceForwardPass } from '../trace/trace-forward-pass.ts';
import type {
  CompleteOptions, Completed, LoadOptions, ModelChoice, ModelEntry, OpenOptions, Parallelism, StreamedToken, StreamOptions, TraceOptions, Traced,
} from './api-types.ts';
import { checkpointDirectory } from './download.ts';
import { psqlStatements, type ScriptName, type ScriptOptions } from './psql-scripts.ts';
import { SERVE_PORT, serveDatabase, type ServeOptions } from './serve.ts';
import { tokenStream } from './token-stream.ts';

export { DEFAULT_MODEL } from '../engine/model.ts';
export { defaultModelName } from '../load/model-names.ts';
export { OUTPUT_POSITIONS, TRACE_TABLES, traceSchema } from '../trace/trace-forward-pass.ts';

/**
 * gpt2sql over one database. Open it with {@link open}; close it when done.
 *
 * @example
 * const gpt2 = await open({ db: './gpt2sql-data' });
 * console.log((await gpt2.complete('Happy New Year! I wish you', { maxTokens: 8 })).text);
 * await gpt2.close();
 */
export class Gpt2Sql {
  constructor(
    /** The database, for queries of your own (`db.query(sql, params)`, `db.kysely`). */
    readonly db: Database,
  ) {}

  /** The loaded models, as the catalog holds them. */
  models(): Promise<ModelRow[]> {
    return listModels(this.db);
  }

  /**
   * The loaded models with the servers that hold a sharded model's weight matrices.
   *
   * @example
   * for (const { name, shard_locations } of await gpt2.catalog()) console.log(name, shard_locations.join(', ') || '–');
   */
  async catalog(): Promise<ModelEntry[]> {
    const models = await listModels(this.db);
    const shards = await this.db.kysely.selectFrom('gpt2sql.shards').selectAll().orderBy('model').orderBy('shard').execute();
    return models.map((model) => ({ ...model, shard_locations: shards.filter((shard) => shard.model === model.name).map((shard) => shard.location) }));
  }

  /**
   * How many parallel workers a scan of weights gets here by default (the `workers` option of
   * complete, next, score and trace), and how to raise the server's limits.
   *
   * @example
   * console.log((await gpt2.parallelism()).summary);
   */
  async parallelism(): Promise<Parallelism> {
    const limits = await this.db.parallelLimits();
    return { limits, summary: parallelSummary(limits) };
  }

  /**
   * Whether the server's shared_buffers keep `model`'s tables in memory between steps (null on
   * the embedded database, which sizes its own): when they do not, every step reads the weights
   * again through the operating system (GPT-2 124M: 0.23 s a token against 0.11 to 0.14 with 1 GB).
   *
   * @example
   * const fit = await gpt2.bufferFit('gpt2');
   * if (fit && !fit.enough) console.warn(`shared_buffers should be at least ${fit.neededBytes} bytes`);
   */
  async bufferFit(model?: string): Promise<BufferFit | null> {
    return bufferFit(this.db, await findModel(this.db, model));
  }

  /**
   * The `workers` option checked against this database's limits (an OptionError beyond them);
   * absent, the server's default. On PGlite any count is accepted and ignored (`ignored: true`).
   *
   * @example
   * const { count } = await gpt2.workers(); // 2 on a stock server elsewhere, 0 on a 2-core machine's own server and on PGlite
   */
  workers(requested?: number): Promise<Workers> {
    return workersOption(this.db, requested);
  }

  /** One loaded model's catalog row; an error naming the loaded ones when it is not. */
  model(name?: string): Promise<ModelRow> {
    return findModel(this.db, name);
  }

  /**
   * Loads a checkpoint: a local Hugging Face directory, or a hub id downloaded into the Hugging
   * Face cache. One transaction: a failed or stopped load leaves the database as it was.
   *
   * @example
   * await gpt2.load('gpt2');
   * await gpt2.load('./checkpoints/tiny', { as: 'tiny', kernel: 'array' });
   */
  async load(source: string, options: LoadOptions = {}): Promise<ModelRow> {
    const { directory, onDownload, signal } = options;
    const checkpoint = await openCheckpoint(directory ?? await checkpointDirectory(source, { onProgress: onDownload, signal }));
    try {
      const { as = defaultModelName(source), kernel, shards, onProgress } = options;
      return await loadModel(this.db, checkpoint, { name: as, source, kernel, shards, onProgress, signal });
    } finally {
      await checkpoint.close();
    }
  }

  /** Removes a loaded model and its tables. */
  async drop(name: string): Promise<void> {
    await dropModel(this.db, await findModel(this.db, name));
  }

  /** GPT-2's token ids for `text`, computed by sql/tokenize.sql. */
  async tokenize(text: string, { model }: ModelChoice = {}): Promise<number[]> {
    return encode(this.db, await findModel(this.db, model), text);
  }

  /**
   * Each token id with its own bytes (several tokens may share one UTF-8 character), computed by sql/detokenize.sql.
   *
   * @example
   * const pieces = await gpt2.tokenPieces(await gpt2.tokenize('Hello, wörld')); // [{ token: 15496, bytes: Uint8Array […] }, …]
   */
  async tokenPieces(ids: readonly number[], { model }: ModelChoice = {}): Promise<TokenPiece[]> {
    return decodeEach(this.db, await findModel(this.db, model), ids);
  }

  /** The text of token ids, computed by sql/detokenize.sql. */
  async detokenize(ids: readonly number[], { model }: ModelChoice = {}): Promise<string> {
    return decode(this.db, await findModel(this.db, model), ids);
  }

  /**
   * Continues `prompt`: greedy by default, or sampled (temperature, topK, topP, seed); stops at
   * <|endoftext|>, after maxTokens (default 20) or when the context is full.
   *
   * onPrompt and onToken follow it as it runs; when `signal` fires, it stops after the step
   * running and gives what was generated, with stop 'aborted'.
   *
   * @example
   * const { text, tokens, stop } = await gpt2.complete('Hello', { maxTokens: 5, temperature: 0.8, seed: 42 });
   * await gpt2.complete('Hello', { onToken: (token) => process.stdout.write(token.text) });
   */
  async complete(prompt: string, options: CompleteOptions = {}): Promise<Completed> {
    const { model: name, maxTokens = 20, onPrompt, onToken, ...rest } = options;
    const model = await findModel(this.db, name);
    const promptTokens = await this.promptIds(model, prompt);
    onPrompt?.(promptTokens);
    const pieces = new TokenText();
    const generation = await generate(this.db, model, promptTokens, {
      ...rest, maxTokens, onToken: onToken && ((token) => onToken({ ...token, text: pieces.push(token.bytes) })),
    });
    return { model: model.name, promptTokens, ...generation, text: await decode(this.db, model, generation.tokens) };
  }

  /**
   * Continues `prompt` token by token, each the moment the database chooses it. With `logprobs: n`
   * each token carries its log-probability and the n most probable alternatives. Leaving the
   * loop early stops the generation.
   *
   * @example
   * for await (const token of gpt2.stream('Hello', { maxTokens: 5, logprobs: 1 })) {
   *   process.stdout.write(token.text); // token.id, token.logprob, token.top
   * }
   */
  async *stream(prompt: string, options: StreamOptions = {}): AsyncGenerator<StreamedToken, Generation, undefined> {
    const { model: name, maxTokens = 20, signal, ...rest } = options;
    const model = await findModel(this.db, name);
    const promptIds = await this.promptIds(model, prompt);
    const pieces = new TokenText();
    return yield* tokenStream<StreamedToken, Generation>({
      run: (push, stop) => generate(this.db, model, promptIds, {
        ...rest, maxTokens, signal: stop,
        onToken: (token) => push({ ...token, text: pieces.push(token.bytes) }),
      }),
    }, signal);
  }

  /**
   * The most probable next tokens after `prompt` (the article's llm()), with logits and probabilities.
   *
   * @example
   * const [best] = await gpt2.next('Happy New Year! I wish you', { top: 5 }); // { id, token, logit, probability }
   */
  async next(prompt: string, options: ModelChoice & Partial<NextOptions> & { workers?: number } = {}): Promise<Candidate[]> {
    const { model: name, ...rest } = options;
    const model = await findModel(this.db, name);
    return nextTokens(this.db, model, await this.promptIds(model, prompt), rest);
  }

  /**
   * Each token's log-probability after the ones before it, and the perplexity; a text longer than
   * the context is read in windows `stride` tokens apart.
   *
   * @example
   * const { perplexity, tokens } = await gpt2.score('The quick brown fox', { top: 3 });
   */
  async score(text: string, options: ModelChoice & Partial<ScoreOptions> & { workers?: number; signal?: AbortSignal } = {}): Promise<Scoring> {
    const { model: name, ...rest } = options;
    const model = await findModel(this.db, name);
    checkPromptText(text);
    return scoreTokens(this.db, model, await encode(this.db, model, text), rest);
  }

  /**
   * One forward pass over `prompt` with every intermediate kept as a table (docs/trace.md), in
   * one transaction that replaces an earlier trace of the same name; gives the schema that holds
   * them and the prompt's tokens.
   *
   * @example
   * const { schema } = await gpt2.trace('The cat sat', { as: 'cat' }); // 'trace_cat'
   * await gpt2.db.query(`SELECT * FROM ${schema}.att WHERE block = 0 AND head = 0`);
   */
  async trace(prompt: string, options: TraceOptions = {}): Promise<Traced> {
    const { model: name, as, ...rest } = options;
    const model = await findModel(this.db, name);
    checkPromptText(prompt);
    const tokens = await encode(this.db, model, prompt);
    return { schema: await traceForwardPass(this.db, model, tokens, { ...rest, name: as ?? model.name, prompt }), tokens };
  }

  /**
   * A self-contained SQL script for psql that gives the answer of tokenize, next, complete (the
   * whole generation as one statement) or score.
   *
   * @example
   * const script = await gpt2.psql('complete', 'Hello', { maxTokens: 5 }); // psql -X -f script.sql
   */
  async psql(name: ScriptName, text: string, options: ModelChoice & ScriptOptions = {}): Promise<string> {
    const { model: modelName, ...rest } = options;
    const model = await findModel(this.db, modelName);
    if (name !== 'tokenize') checkPromptText(text);
    return psqlStatements(this.db, model, name, text, rest);
  }

  /**
   * Starts the OpenAI-compatible HTTP API and the explorer page over this database. Closing the
   * server leaves the database open.
   *
   * @example
   * const server = await gpt2.serve({ port: 0 });
   * await fetch(`${server.url}/v1/completions`, { method: 'POST', body: JSON.stringify({ model: 'gpt2', prompt: 'Hello' }) });
   * await server.close();
   */
  serve(options: ServeOptions = {}): Promise<ApiServer> {
    return serveDatabase(Promise.resolve(this.db), options);
  }

  /**
   * psql's way in to an embedded database: PostgreSQL's wire protocol on 127.0.0.1 (default port
   * 5433, 0 picks a free one). A server database has none to give: a GptSqlError says so.
   *
   * @example
   * const wire = await gpt2.listenPsql(0);
   * console.log(wire.psql); // psql -h 127.0.0.1 -p … -U postgres postgres
   * await wire.stop();
   */
  listenPsql(port: number = SERVE_PORT): Promise<WireServer> {
    return this.db.serve(port);
  }

  /** Closes the database. */
  close(): Promise<void> {
    return this.db.close();
  }

  private async promptIds(model: ModelRow, prompt: string): Promise<number[]> {
    checkPromptText(prompt);
    const ids = await encode(this.db, model, prompt);
    checkPrompt(model, ids);
    return ids;
  }
}

/**
 * Opens a database (applying pending migrations) and gives gpt2sql over it.
 *
 * @example
 * const local = await open({ db: './gpt2sql-data' });                         // embedded PGlite
 * const server = await open({ db: 'postgres://postgres@127.0.0.1:5432/test' }); // a PostgreSQL server
 */
export async function open(options: OpenOptions = {}): Promise<Gpt2Sql> {
  return new Gpt2Sql(await openDatabase({ db: options.db, readsWeights: options.readsWeights }));
}

/**
 * Starts the HTTP API at once over a database still opening: requests get 503 until `opening`
 * resolves (a large PGlite database takes seconds). Closing the server leaves the database open.
 *
 * @example
 * const opening = open({ db: './gpt2sql-data' });
 * const server = await serve(opening, { port: 0, scheduler: { maxBatch: 4 } });
 */
export function serve(opening: Promise<Gpt2Sql>, options: ServeOptions = {}): Promise<ApiServer> {
  return serveDatabase(opening.then((gpt2) => gpt2.db), options);
}
