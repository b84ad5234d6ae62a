import type { Command } from 'commander';
import type { ModelRow } from '../../db/catalog-tables.ts';
import type { Database } from '../../db/database.ts';
import { generate, type Generation } from '../../engine/generate.ts';
import { DEFAULT_MODEL, findModel, listModels, useModel } from '../../engine/model.ts';
import { checkPrompt, engineOption, integerOption, samplingOptions } from '../../engine/options.ts';
import { decode, encode, unsendableText } from '../../engine/tokenizer.ts';
import { GptSqlError } from '../../errors.ts';
import { withDatabase } from '../context.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { interruptedError, withStopSignals } from '../signals.ts';
import { loadCommand } from './load.ts';

export interface CompleteCommandOptions extends GlobalOptions {
  maxTokens?: string;
  temperature?: string;
  topK?: string;
  topP?: string;
  seed?: string;
  engine?: string;
  json?: boolean;
}

/** What `complete --json` prints. */
export interface CompleteResult {
  model: string;
  prompt_tokens: number[];
  tokens: number[];
  text: string;
  seconds: number;
}

export const DEFAULT_MAX_TOKENS = 20;

/**
 * `gpt2sql complete [PROMPT]`: prints the prompt, then each new token the moment the database
 * chooses it (or, with --json, one object at the end). Options are checked before any SQL runs.
 */
export async function completeCommand(prompt: string | undefined, options: CompleteCommandOptions, io: Io): Promise<CompleteResult> {
  const text = prompt ?? withoutFinalNewline(await io.readStdin());
  checkPromptText(text, 'give some text to continue, as an argument or on standard input');
  const sampling = samplingOptions(options);
  const maxTokens = integerOption('--max-tokens', options.maxTokens ?? DEFAULT_MAX_TOKENS, 0, 'an integer >= 0');
  const engine = engineOption(options.engine);
  return withModel(options, io, async (db, model) => {
    const promptIds = await encode(db, text);
    checkPrompt(model, promptIds); // before the prompt is printed: a refused prompt prints nothing
    const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
    if (!options.json) io.out(text);
    const started = performance.now();
    const generation = await generate(db, model, promptIds, {
      ...sampling, maxTokens, engine, signal: options.signal,
      onToken: (token) => options.json || io.out(utf8.decode(token.bytes, { stream: true })),
    });
    const seconds = Math.round(performance.now() - started) / 1000;
    if (!options.json) io.out(`${utf8.decode()}\n`);
    const result = { model: model.name, prompt_tokens: promptIds, tokens: generation.tokens, text: await decode(db, generation.tokens), seconds };
    if (options.json) io.out(`${JSON.stringify(result)}\n`);
    reportStop(generation, model, promptIds.length, options, io);
    return result;
  });
}

/**
 * Refuses, before any database is opened, a prompt that is empty or that PostgreSQL text cannot hold
 * (a NUL, a lone surrogate): such a prompt must not start a first-run download of the default model.
 *
 * @example
 * checkPromptText('a\0b', 'give some text'); // throws: the text contains U+0000 (NUL), which PostgreSQL text cannot hold; …
 */
export function checkPromptText(text: string, whatToDo: string): void {
  if (text === '') throw new GptSqlError(`the prompt is empty; ${whatToDo}`);
  const problem = unsendableText(text);
  if (problem) throw new GptSqlError(problem);
}

const counted = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * After the text is printed: a notice when the context ran out before --max-tokens; when
 * interrupted, an error with the exit code a shell expects after the signal (130 after Ctrl-C).
 */
function reportStop(generation: Generation, model: ModelRow, promptLength: number, { signal }: GlobalOptions, io: Io): void {
  const count = generation.tokens.length;
  if (generation.stop === 'n_ctx') {
    io.err(`gpt2sql: stopped after ${counted(count, 'new token')}: the prompt (${counted(promptLength, 'token')}) and the new ones fill ` +
      `model ${model.name}'s context of n_ctx = ${model.n_ctx} tokens\n`);
  }
  if (generation.stop === 'aborted') throw interruptedError(signal!, ` after ${counted(count, 'new token')}; the text generated so far was printed`);
}

/**
 * Runs `fn` with the model of --model (default gpt2), its schema on the search_path. On a first run, when the default model is
 * not loaded yet, loads it from the Hugging Face hub first (with progress); other missing models
 * get findModel's message.
 */
export async function withModel<T>(options: GlobalOptions, io: Io, fn: (db: Database, model: ModelRow) => Promise<T>): Promise<T> {
  const name = options.model ?? DEFAULT_MODEL;
  const missing = Symbol('missing');
  const result = await withDatabase(options, async (db) => {
    if (name === DEFAULT_MODEL && !(await listModels(db)).some((model) => model.name === name)) return missing;
    return { value: await useAnd(db, await findModel(db, name), fn) };
  });
  if (result !== missing) return result.value;
  await loadDefaultModel(options, io);
  return withDatabase(options, async (db) => useAnd(db, await findModel(db, name), fn));
}

async function useAnd<T>(db: Database, model: ModelRow, fn: (db: Database, model: ModelRow) => Promise<T>): Promise<T> {
  await useModel(db, model);
  return fn(db, model);
}

async function loadDefaultModel(options: GlobalOptions, io: Io): Promise<void> {
  io.err(`gpt2sql: model ${DEFAULT_MODEL} is not loaded yet; loading it from the Hugging Face hub first (only this once)\n`);
  try {
    await loadCommand(DEFAULT_MODEL, { ...options, as: DEFAULT_MODEL }, io);
  } catch (error) {
    if (!(error instanceof GptSqlError) || options.signal?.aborted) throw error;
    throw new GptSqlError(`${error.message} To use a checkpoint on disk instead: gpt2sql load DIR --as ${DEFAULT_MODEL} ` +
      '(DIR holds config.json, model.safetensors, vocab.json and merges.txt), or load one under any name and pass --model NAME');
  }
}

/** Text from standard input usually ends with the newline of its last line; that one is not part of the prompt. */
export function withoutFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

export function registerComplete(program: Command, io: Io): void {
  program
    .command('complete')
    .description('continue a text with GPT-2, every step computed by SQL in the database')
    .argument('[prompt]', 'the text to continue (default: standard input, without its final newline)')
    .option('-n, --max-tokens <n>', 'the most new tokens to generate', String(DEFAULT_MAX_TOKENS))
    .option('--temperature <t>', '0 always takes the most probable token; 1 samples the model\'s distribution', '0')
    .option('--top-k <k>', 'sample only from the k most probable tokens (0: all)', '0')
    .option('--top-p <p>', 'sample only from the most probable tokens that together reach p (1: all)', '1')
    .option('--seed <n>', 'the same seed and options give the same text', '0')
    .option('--engine <engine>', 'incremental: cached keys/values, one position per step; recompute: the whole text every step', 'incremental')
    .option('--json', 'print {model, prompt_tokens, tokens, text, seconds} instead of streaming the text')
    .addHelpText('after', `
Generation stops at <|endoftext|>, after --max-tokens, or when the context (n_ctx) is full
(with a notice on stderr); a prompt longer than the context is refused. Ctrl-C (or SIGTERM,
SIGHUP) stops after the current step and prints what was generated.
The defaults are deterministic: greedy (temperature 0); a sampling run is reproduced by its --seed.

Examples:
  $ gpt2sql complete "Happy New Year! I wish you"
  $ gpt2sql complete "Hello" -n 5 --temperature 0 --json
  $ gpt2sql complete "Once upon a time" --temperature 0.8 --top-k 40 --top-p 0.95 --seed 42
  $ echo "The meaning of life is" | gpt2sql complete --model distilgpt2`)
    .action(async (prompt: string | undefined, _options: unknown, command: Command) => {
      await withStopSignals(io, 'stopping after the current step', (signal) =>
        completeCommand(prompt, { ...command.optsWithGlobals<CompleteCommandOptions>(), signal }, io));
    });
}
