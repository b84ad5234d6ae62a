import type { Command } from 'commander';
import {
  completionOptions, DEFAULT_MAX_TOKENS, DEFAULT_NEXT, DEFAULT_SAMPLING, generationOptions, nextOptions, OPTION_FIELDS, OptionError, schedulerLimits, scoreOptions,
  type CheckedGeneration, type Completion, type SchedulerLimits, type NextOptions, type OptionName, type ScoreOptions,
} from '../engine/options.ts';
import type { Gpt2Sql } from '../api/gpt2sql.ts';
import type { BufferFit, ModelRow, Workers } from '../api/api-types.ts';
import { GptSqlError } from '../errors.ts';
import { flagOf, SAMPLING_FIELDS, SAMPLING_KEYS } from '../sql/sampling-fields.ts';
import type { Io } from './io.ts';

type FieldOf<N extends OptionName> = (typeof OPTION_FIELDS)[N];

/** Option flags as commander keeps them: the text given (or the default), under the engine's field name (--top-p: topP). */
export type OptionFlags = { [N in OptionName as FieldOf<N>]?: string };

type NumberFlags<N extends OptionName> = { [K in N as FieldOf<K>]?: number };

/** The numbers the flags of `options` say, once, under the engine's field names; absent flags stay undefined. */
function numberFlags<N extends OptionName>(flags: OptionFlags, options: readonly N[]): NumberFlags<N> {
  return Object.fromEntries(options.map((option) => {
    const text = flags[OPTION_FIELDS[option]];
    const number = text === undefined ? undefined : text.trim() === '' ? NaN : Number(text);
    if (number !== undefined && !Number.isFinite(number)) throw new GptSqlError(`${flagOf(option)} must be a number, got ${JSON.stringify(text)}`);
    return [OPTION_FIELDS[option], number];
  })) as NumberFlags<N>;
}

/**
 * Runs the engine's `check` of options given as flags. The one place an OptionError becomes a
 * message about a flag: its flag and the text given, `--top-p must be … (1 keeps every token), got "1.5"`.
 */
function checkFlags<T>(flags: OptionFlags, check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw asFlagError(flags, error);
  }
}

/** An OptionError as a message about its flag; any other error as it is. */
export function asFlagError(flags: OptionFlags, error: unknown): unknown {
  if (!(error instanceof OptionError)) return error;
  const given = flags[OPTION_FIELDS[error.option]] ?? String(error.value);
  return new GptSqlError(`${flagOf(error.option)} must be ${error.rule}, got ${JSON.stringify(given)}`, { cause: error });
}

/** The sampling fields' names for users (top_p), each a flag of complete's (--top-p). */
const SAMPLING_OPTIONS = SAMPLING_KEYS.map((key) => SAMPLING_FIELDS[key].name);

/**
 * complete's and `sql complete`'s flags (one per sampling field: --temperature, --top-k, …, and --max-tokens), checked by the engine.
 *
 * @example
 * completionFlags({ topP: '1.5' }); // throws: --top-p must be a number in (0, 1] (1 keeps every token), got "1.5"
 * completionFlags({ topP: 'abc' }); // throws: --top-p must be a number, got "abc"
 */
export function completionFlags(flags: OptionFlags): Completion {
  return checkFlags(flags, () => completionOptions(numberFlags(flags, [...SAMPLING_OPTIONS, 'max_tokens'])));
}

/** Adds complete's and `sql complete`'s flags to `command`, with the engine's defaults: one per sampling field. */
export function addCompletionFlags(command: Command): Command {
  command.option('-n, --max-tokens <n>', 'the most new tokens to generate', String(DEFAULT_MAX_TOKENS));
  for (const key of SAMPLING_KEYS) {
    const field = SAMPLING_FIELDS[key];
    command.option(`${flagOf(field.name)} <${field.arg}>`, field.help, String(DEFAULT_SAMPLING[key]));
  }
  return command;
}

/** next's and `sql next`'s flags (--top, --temperature), checked by the engine. */
export function nextFlags(flags: OptionFlags): NextOptions {
  return checkFlags(flags, () => nextOptions(numberFlags(flags, ['top', 'temperature'])));
}

/** Adds next's and `sql next`'s flags to `command`, with the engine's defaults. */
export function addNextFlags(command: Command): Command {
  return command
    .option('--top <n>', 'how many candidates to show', String(DEFAULT_NEXT.top))
    .option('--temperature <t>', 'probabilities are softmax(logits / t); 0 gives the most probable token probability 1', String(DEFAULT_NEXT.temperature));
}

/**
 * score's and `sql score`'s flags (--top, --stride), checked by the engine for a model of context
 * `nCtx` (the stride's default and bound).
 *
 * @example
 * scoreFlags({ stride: '0' }, 1024); // throws: --stride must be an integer from 1 to the model's context, n_ctx = 1024, got "0"
 */
export function scoreFlags(flags: OptionFlags, nCtx: number): ScoreOptions {
  return checkFlags(flags, () => scoreOptions(numberFlags(flags, ['top', 'stride']), nCtx));
}

/** Adds score's and `sql score`'s flags to `command`. */
export function addScoreFlags(command: Command): Command {
  return command
    .option('--top <n>', 'also show the n most probable tokens at each place, with their log-probabilities', '0')
    .option('--stride <n>', 'a text longer than the context is read in windows of n_ctx tokens, each starting n tokens after the last (default: n_ctx / 2)');
}

/** complete's flags and --engine, checked by the engine at once (generationOptions). */
export function generationFlags(flags: OptionFlags): CheckedGeneration {
  const numbers = numberFlags(flags, [...SAMPLING_OPTIONS, 'max_tokens']);
  return checkFlags(flags, () => generationOptions({ ...numbers, engine: flags.engine }));
}

/** Adds --workers to a command that computes (complete, next, trace). */
export function addWorkersFlag(command: Command): Command {
  return command.option('--workers <n>', "parallel workers PostgreSQL may start for each scan of weights (0: none; default: the server's max_parallel_workers_per_gather, none on a server of 2 cores or fewer on this machine: see gpt2sql models)");
}

/** --workers as a number (undefined: the server's default); the library checks it against the database's limits. */
export function workersFlag(flags: OptionFlags): number | undefined {
  return checkFlags(flags, () => numberFlags(flags, ['workers'])).workers;
}

/**
 * On the embedded database, which has no parallel workers, a notice on stderr that --workers
 * has no effect (said before the work starts).
 */
export async function workersNotice(gpt2: Gpt2Sql, workers: number | undefined, io: Io): Promise<void> {
  if (workers !== undefined && !(await gpt2.parallelism()).limits) io.err(WORKERS_IGNORED);
}

/**
 * A notice, once a command, when the server's shared_buffers cannot keep the model's tables in
 * memory: every step then reads the weights again through the operating system. Says by how much
 * and how to raise it; nothing on the embedded database (it sizes its own) or when they fit.
 *
 * @example
 * await buffersNotice(gpt2, model, io); // gpt2sql: the server's shared_buffers (128 MB) cannot keep gpt2's tables …
 */
export async function buffersNotice(gpt2: Gpt2Sql, model: Pick<ModelRow, 'name'>, io: Io): Promise<void> {
  const notice = buffersNoticeText(model.name, await gpt2.bufferFit(model.name));
  if (notice) io.err(notice);
}

/** The line buffersNotice prints for `name` and its fit, or undefined when there is nothing to say. */
export function buffersNoticeText(name: string, fit: BufferFit | null): string | undefined {
  if (!fit || fit.enough) return undefined;
  const megabytes = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MB`;
  const suggested = Math.ceil(fit.neededBytes / (256 * 1024 ** 2)) * 256; // MB, a multiple of 256
  const setting = suggested % 1024 === 0 ? `${suggested / 1024}GB` : `${suggested}MB`;
  return `gpt2sql: the server's shared_buffers (${megabytes(fit.sharedBuffersBytes)}) cannot keep ${name}'s tables `
    + `(${megabytes(fit.modelBytes)}, the largest ${megabytes(fit.largestBytes)}) in memory: every step reads the weights `
    + 'again through the operating system (GPT-2 124M on the project\'s benchmark machine: 0.23 s a token against 0.11 '
    + `to 0.14 with 1 GB). To keep them, as a superuser: ALTER SYSTEM SET shared_buffers = '${setting}'; then restart the server\n`;
}

const WORKERS_IGNORED = 'gpt2sql: --workers has no effect here: the embedded database runs in one process, without parallel workers\n';

/**
 * serve's --workers, checked now against the database's limits (Gpt2Sql.workers) and measured,
 * so that the scheduler starts with them and a bad value is an error at start, about the flag.
 *
 * @example
 * await serveWorkersFlag({ workers: '0' }, gpt2, io); // { count: 0, startMs: 0, speedup: 1, ignored: false }
 */
export async function serveWorkersFlag(flags: OptionFlags, gpt2: Gpt2Sql, io: Io): Promise<Workers> {
  const resolved = await gpt2.workers(workersFlag(flags)).catch((error: unknown) => {
    throw asFlagError(flags, error);
  });
  if (resolved.ignored) io.err(WORKERS_IGNORED);
  return resolved;
}

/**
 * serve's --max-batch and --max-queue, checked now (an OptionError becomes a message about the flag).
 *
 * @example
 * schedulerFlags({ maxBatch: '4' }); // { maxBatch: 4, maxQueue: 64 }: a step advances at most 4 generations
 */
export function schedulerFlags(flags: OptionFlags): SchedulerLimits {
  return checkFlags(flags, () => schedulerLimits(numberFlags(flags, ['max_batch', 'max_queue'])));
}

/** Adds serve's --max-batch and --max-queue. */
export function addSchedulerFlags(command: Command): Command {
  return command
    .option('--max-batch <n>', 'the most generations one step computes together (default 8)')
    .option('--max-queue <n>', 'the most generations waiting for a place in a step; beyond it, requests get 429 (default 64)');
}

/**
 * A TCP port given as `flag`: an integer from 0 (a free one) to 65535.
 *
 * @example
 * portFlag('--http', '8080'); // 8080
 * portFlag('--http', 'x');    // throws: --http must be a port number (0-65535, 0 picks a free one), not "x"
 */
export function portFlag(flag: string, text: string): number {
  const port = text.trim() === '' ? NaN : Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GptSqlError(`${flag} must be a port number (0-65535, 0 picks a free one), not ${JSON.stringify(text)}`);
  return port;
}
