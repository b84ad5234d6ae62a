/** The options and results of the library's calls (src/api/gpt2sql.ts), apart so that file stays readable. */
import type { DownloadProgress } from '../checkpoint/hub-download.ts';
import type { ModelRow } from '../db/catalog-tables.ts';
import type { ParallelLimits } from '../db/database.ts';
import type { GeneratedToken, Generation, GenerateOptions } from '../engine/generate.ts';
import type { KernelName } from '../sql/kernels/index.ts';
import type { OutputPositions } from '../trace/trace-forward-pass.ts';

// The types the calls take and give, from the layers that define them: a client imports them from here.
export type { ModelRow, ParallelLimits, OutputPositions };
export type { WireServer } from '../db/database.ts';
export type { BufferFit } from '../engine/buffers.ts';
export type { GeneratedToken, Generation, StopReason, TokenLogprob } from '../engine/generate.ts';
export type { Candidate } from '../engine/next.ts';
export type { NextOptions, Sampling, ScoreOptions } from '../engine/options.ts';
export type { SchedulerOptions } from '../engine/scheduler.ts';
export type { ScoredToken, Scoring } from '../engine/score.ts';
export type { TokenPiece } from '../engine/tokenizer.ts';
export type { Workers } from '../engine/workers.ts';
export type { ApiServer } from '../http/api-server.ts';
export type { KernelName };

/** The kernels `load` takes, fastest first, each with what it computes with: what `--kernel`'s help lists. */
export { KERNELS } from '../sql/kernels/index.ts';

/** Which loaded model a call uses: its name in the catalog (default gpt2). */
export interface ModelChoice {
  model?: string;
}

export interface OpenOptions {
  /**
   * A PGlite data directory (created if need be) or a postgres:// URL. Default: $GPT2SQL_DB,
   * $DATABASE_URL, or ~/.local/share/gpt2sql.
   */
  db?: string;
  /**
   * Whether you will compute with the weights (default true). False, for tokenize, detokenize,
   * models and drop only, lets PGlite start with small buffers: much faster on a large model.
   */
  readsWeights?: boolean;
}

export interface LoadOptions {
  /** The model's name in the database (default: the last part of the source). */
  as?: string;
  /** How dot products are computed: auto (default, the fastest the database has) or one of KERNELS. */
  kernel?: 'auto' | KernelName;
  /** postgres:// URLs of servers that hold the weight matrices (see docs/scaling.md). */
  shards?: readonly string[];
  /** The checkpoint's directory when {@link download} fetched it already (default: resolved from the source). */
  directory?: string;
  /** A hub download's bytes as they arrive. */
  onDownload?(progress: DownloadProgress): void;
  /** Weights copied so far, and in all. */
  onProgress?(done: number, total: number): void;
  /** Stops the download, or the load at the next tensor and rolls it back. */
  signal?: AbortSignal;
}

/** The options of a generation, whole or streamed. */
export type StreamOptions = ModelChoice & Omit<GenerateOptions, 'maxTokens' | 'onToken'> & { maxTokens?: number };

/** A token as a stream gives it: its id, its text (whole characters only) and, with `logprobs`, its log-probability. */
export interface StreamedToken extends GeneratedToken {
  /**
   * The text this token completes: '' while a character's bytes are still arriving. The tokens'
   * texts join into what `detokenize` gives (U+0000 as U+FFFD, as PostgreSQL text needs), but
   * for a character whose last bytes never came (the generation ended first): it is in no
   * token's text; `complete` and `detokenize` end with U+FFFD for it.
   */
  text: string;
}

export interface CompleteOptions extends StreamOptions {
  /** Called once the prompt is tokenized and accepted, before the first step: with its token ids. */
  onPrompt?(promptTokens: number[]): void;
  /** Called with each new token the moment it is chosen. */
  onToken?(token: StreamedToken): void;
}

export interface Completed extends Generation {
  model: string;
  /** The prompt's token ids. */
  promptTokens: number[];
  /** The new tokens' text. */
  text: string;
}

/** A loaded model's catalog row and the servers (host:port/database) that hold its weight matrices, if sharded. */
export interface ModelEntry extends ModelRow {
  shard_locations: string[];
}

/** The parallel workers a scan of weights gets: the server's limits (null on PGlite) and what they mean, in words. */
export interface Parallelism {
  limits: ParallelLimits | null;
  summary: string;
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
