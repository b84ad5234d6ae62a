/**
 * The library: one object over one database, with a method per thing gpt2sql does. The CLI's
 * commands are written over the same calls; the HTTP server is started from here too.
 */
import { resolveSource, type DownloadProgress } from '../checkpoint/hub-download.ts';
import { openCheckpoint } from '../checkpoint/open-checkpoint.ts';
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/open-database.ts';
import { generate, type GeneratedToken, type Generation, type GenerateOptions } from '../engine/generate.ts';
import { findModel, listModels } from '../engine/model.ts';
import { nextTokens, type Candidate } from '../engine/next.ts';
import { checkPrompt, checkPromptText, type NextOptions, type ScoreOptions } from '../engine/options.ts';
import { Scheduler, type SchedulerOptions } from '../engine/scheduler.ts';
import { scoreTokens, type Scoring } from '../engine/score.ts';
import { decode, encode } from '../engine/tokenizer.ts';
import { HTTP_HOST, HTTP_PORT, startApiServer, type ApiServer } from '../http/api-server.ts';
import { dropModel } from '../load/drop-model.ts';
import { loadModel } from '../load/load-model.ts';
import { defaultModelName } from '../load/model-names.ts';
import { traceForwardPass, type OutputPositions } from '../trace/trace-forward-pass.ts';
import { psqlStatements, type ScriptName, type ScriptOptions } from './psql-scripts.ts';
import { tokenStream } from './token-stream.ts';

/** Which loaded model a call uses: its name in the catalog (default gpt2). */
export interface ModelChoice {
  model?: string;
}

export interface LoadOptions {
  /** The model's name in the database (default: the last part of the source). */
  as?: string;
  /** How dot products are computed: auto (default), vector, cube or array. */
  kernel?: 'auto' | 'vector' | 'cube' | 'array';
  /** postgres:// URLs of servers that hold the weight matrices (see docs/scaling.md). */
  shards?: readonly string[];
  /** A hub download's bytes as they arrive. */
  onDownload?(progress: DownloadProgress): void;
  /** Weights copied so far, and in all. */
  onProgress?(done: number, total: number): void;
  /** Stops the load at the next tensor and rolls it back. */
  signal?: AbortSignal;
}

export type CompleteOptions = ModelChoice & Omit<GenerateOptions, 'maxTokens' | 'onToken'> & { maxTokens?: number };

export interface Completed extends Generation {
  model: string;
  /** The prompt's token ids. */
  promptTokens: number[];
  /** The new tokens' text. */
  text: string;
}

/** A token as a stream gives it: its id, its text (whole characters only) and, with `logprobs`, its log-probability. */
export interface StreamedToken extends GeneratedToken {
  /** The text this token completes: '' while a character's bytes are still arriving. */
  text: string;
}

export interface TraceOptions extends ModelChoice {
  /** The trace's name: its tables go to schema trace_NAME (default: the model's name). */
  as?: string;
  logits?: OutputPositions;
  lens?: OutputPositions;
  workers?: number;
  signal?: AbortSignal;
}

/** What a trace made: the schema of its tables, and the prompt's token ids (its positions). */
export interface Traced {
  schema: string;
  tokens: number[];
}

export interface ServeOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, requests need `Authorization: Bearer KEY`. */
  apiKey?: string;
  /** How many generations a step computes together (maxBatch), how many may wait (maxQueue), parallel workers. */
  scheduler?: SchedulerOptions;
  /** Where unexpected errors' details go. */
  log?(line: string): void;
}

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
    const dir = await resolveSource(source, { onProgress: options.onDownload });
    const checkpoint = await openCheckpoint(dir);
    try {
      const { as = defaultModelName(source), kernel, shards, onProgress, signal } = options;
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

  /** The text of token ids, computed by sql/detokenize.sql. */
  async detokenize(ids: readonly number[], { model }: ModelChoice = {}): Promise<string> {
    return decode(this.db, await findModel(this.db, model), ids);
  }

  /**
   * Continues `prompt`: greedy by default, or sampled (temperature, topK, topP, seed); stops at
   * <|endoftext|>, after maxTokens (default 20) or when the context is full.
   *
   * @example
   * const { text, tokens, stop } = await gpt2.complete('Hello', { maxTokens: 5, temperature: 0.8, seed: 42 });
   */
  async complete(prompt: string, options: CompleteOptions = {}): Promise<Completed> {
    const { model: name, maxTokens = 20, ...rest } = options;
    const model = await findModel(this.db, name);
    const promptTokens = await this.promptIds(model, prompt);
    const generation = await generate(this.db, model, promptTokens, { ...rest, maxTokens });
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
  async *stream(prompt: string, options: CompleteOptions = {}): AsyncGenerator<StreamedToken, Generation, undefined> {
    const { model: name, maxTokens = 20, signal, ...rest } = options;
    const model = await findModel(this.db, name);
    const promptIds = await this.promptIds(model, prompt);
    const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
    return yield* tokenStream<StreamedToken, Generation>({
      run: (push, stop) => generate(this.db, model, promptIds, {
        ...rest, maxTokens, signal: stop,
        onToken: (token) => push({ ...token, text: utf8.decode(token.bytes, { stream: true }) }),
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
    const scheduler = new Scheduler(this.db, options.scheduler);
    const { port = HTTP_PORT, host = HTTP_HOST, apiKey, log } = options;
    return startApiServer({ backend: Promise.resolve({ db: this.db, scheduler }), port, host, apiKey, log });
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

export interface OpenOptions {
  /**
   * A PGlite data directory (created if need be) or a postgres:// URL. Default: $GPT2SQL_DB,
   * $DATABASE_URL, or ~/.local/share/gpt2sql.
   */
  db?: string;
}

/**
 * Opens a database (applying pending migrations) and gives gpt2sql over it.
 *
 * @example
 * const local = await open({ db: './gpt2sql-data' });                         // embedded PGlite
 * const server = await open({ db: 'postgres://postgres@127.0.0.1:5432/test' }); // a PostgreSQL server
 */
export async function open(options: OpenOptions = {}): Promise<Gpt2Sql> {
  return new Gpt2Sql(await openDatabase({ db: options.db }));
}
