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
export {
  open, Gpt2Sql,
  type OpenOptions, type ModelChoice, type LoadOptions, type CompleteOptions, type Completed, type StreamedToken, type TraceOptions, type Traced, type ServeOptions,
} from './api/gpt2sql.ts';
export type { ScriptName, ScriptOptions } from './api/psql-scripts.ts';
export type { DownloadProgress } from './checkpoint/hub-download.ts';
export type { ModelRow } from './db/catalog-tables.ts';
export type { Database } from './db/database.ts';
export type { Candidate } from './engine/next.ts';
export type { GeneratedToken, Generation, StopReason, TokenLogprob } from './engine/generate.ts';
export type { NextOptions, Sampling, ScoreOptions } from './engine/options.ts';
export type { ScoredToken, Scoring } from './engine/score.ts';
export type { ApiServer } from './http/api-server.ts';
export type { OutputPositions } from './trace/trace-forward-pass.ts';
export { GptSqlError } from './errors.ts';
export { OptionError } from './engine/options.ts';
import { packageVersion } from './package-files.ts';

/** This package's version, as `gpt2sql --version` prints it. */
export const version: string = packageVersion();
