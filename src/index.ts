/**
 * gpt2sql as a library: GPT-2 running inside PostgreSQL (embedded PGlite or a server).
 *
 * @example
 * import { open } from 'gpt2sql';
 *
 * const gpt2 = await open({ db: './gpt2sql-data' }); // or 'postgres://user@host/db'
 * await gpt2.load('gpt2');
 * for await (const token of gpt2.stream('Happy New Year! I wish you', { maxTokens: 16 })) process.stdout.write(token.text);
 * await gpt2.close();
 */
export { open, serve, Gpt2Sql, DEFAULT_MODEL } from './api/gpt2sql.ts';
export type {
  OpenOptions, ModelChoice, LoadOptions, StreamOptions, CompleteOptions, Completed, StreamedToken, ModelEntry, Parallelism, TraceOptions, Traced,
  ModelRow, ParallelLimits, OutputPositions, WireServer, GeneratedToken, Generation, StopReason, TokenLogprob, Candidate,
  NextOptions, Sampling, ScoreOptions, SchedulerOptions, ScoredToken, Scoring, TokenPiece, Workers, ApiServer, BufferFit,
} from './api/api-types.ts';
export { download, type DownloadOptions } from './api/download.ts';
export { HTTP_HOST, HTTP_PORT, SERVE_PORT, type ServeOptions } from './api/serve.ts';
export type { ScriptName, ScriptOptions } from './api/psql-scripts.ts';
export type { DownloadProgress } from './checkpoint/hub-download.ts';
export type { Database } from './db/database.ts';
export { GptSqlError, ModelNotLoadedError } from './errors.ts';
export { OptionError } from './engine/options.ts';
import { packageVersion } from './package-files.ts';

/** This package's version, as `gpt2sql --version` prints it. */
export const version: string = packageVersion();
