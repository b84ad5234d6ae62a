import type { ModelRow } from '../db/catalog-tables.ts';
import { GptSqlError } from '../errors.ts';
import { DEFAULT_SAMPLING, SAMPLING_FIELDS, SAMPLING_KEYS, TEMPERATURE_RANGE, type Sampling, type SamplingKey } from '../sql/sampling-fields.ts';
import { unsendableText } from './sendable-text.ts';

export type { Sampling };
export { DEFAULT_SAMPLING };

declare const CHECKED: unique symbol;

/**
 * A value only this file's checks make: the edges (CLI, HTTP server, explorer, the library API)
 * turn raw input into it once, and the engine's entry points (Scheduler.generate) take nothing
 * else and check nothing again.
 */
export type Checked<T> = T & { readonly [CHECKED]: true };

/** Sampling and how many new tokens at most: what a completion's options come to. */
export interface Completion extends Sampling {
  maxTokens: number;
}

/** What `next` shows. */
export interface NextOptions {
  /** How many candidates, most probable first. */
  top: number;
  /** softmax(logits / temperature); 1 is the model's own distribution. */
  temperature: number;
}

export const DEFAULT_MAX_TOKENS = 20;
export const DEFAULT_NEXT: NextOptions = { top: 10, temperature: 1 };

export const ENGINE_NAMES = ['incremental', 'recompute'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/**
 * Each option's name for users, as OpenAI's API spells it (an HTTP API takes them so), and the
 * field that holds it here.
 */
type SamplingOptionFields = { readonly [K in SamplingKey as (typeof SAMPLING_FIELDS)[K]['name']]: K };

export const OPTION_FIELDS = {
  ...(Object.fromEntries(SAMPLING_KEYS.map((key) => [SAMPLING_FIELDS[key].name, key])) as SamplingOptionFields),
  max_tokens: 'maxTokens', top: 'top', engine: 'engine',
  workers: 'workers', logprobs: 'logprobs', max_batch: 'maxBatch', max_queue: 'maxQueue', stride: 'stride',
} as const;
export type OptionName = keyof typeof OPTION_FIELDS;

/**
 * An option out of its range: which (by its name for users), the rule it breaks, and the value.
 *
 * @example
 * new OptionError('top_p', 'a number in (0, 1] (1 keeps every token)', 1.5).message;
 * // 'top_p must be a number in (0, 1] (1 keeps every token), got 1.5'
 */
export class OptionError extends GptSqlError {
  override name = 'OptionError';

  constructor(readonly option: OptionName, readonly rule: string, readonly value: unknown) {
    super(`${option} must be ${rule}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
}

/** `value` if it is a finite number that `holds`; otherwise an OptionError. */
function checked(option: OptionName, value: unknown, rule: string, holds: (number: number) => boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !holds(value)) throw new OptionError(option, rule, value);
  return value;
}

export const integer = (option: OptionName, value: unknown, min: number, rule: string) =>
  checked(option, value, rule, (number) => Number.isSafeInteger(number) && number >= min);

/**
 * A temperature: 0, or from 1e-6 to 1e6. Below 1e-6 sampling is greedy in all but ties a
 * float8 cannot tell apart, and logits / temperature would leave float8's range for large logits;
 * above 1e6 every token is equally likely. `zero` says what 0 does.
 */
function temperature(value: unknown, zero: string): number {
  const rule = `0 (${zero}) or a number from ${TEMPERATURE_RANGE.min} to ${TEMPERATURE_RANGE.max}`;
  return checked('temperature', value, rule, (t) => t === 0 || (t >= TEMPERATURE_RANGE.min && t <= TEMPERATURE_RANGE.max));
}

/**
 * Checks sampling options before any SQL is sent, each by its rule in src/sql/sampling-fields.ts;
 * missing ones take the defaults (greedy, no filter, no penalty).
 *
 * @example
 * samplingOptions({ temperature: 0.8, topK: 40 }); // { temperature: 0.8, topK: 40, topP: 1, minP: 0, …, seed: 0 }
 * samplingOptions({ topP: 1.5 }); // throws OptionError: top_p must be a number in (0, 1] (1 keeps every token), got 1.5
 */
export function samplingOptions(input: Partial<Sampling> = {}): Sampling {
  const given: Sampling = { ...DEFAULT_SAMPLING, ...definedOnly(input) };
  return Object.fromEntries(SAMPLING_KEYS.map((key) => {
    const field = SAMPLING_FIELDS[key];
    return [key, checked(field.name, given[key], field.rule, field.holds)];
  })) as Sampling;
}

/** A completion's options, checked by completionOptions. */
export type CheckedCompletion = Checked<Completion>;

/**
 * Checks a completion's options: sampling's and max_tokens (default 20).
 *
 * @example
 * completionOptions({ maxTokens: 5, seed: 42 }); // { temperature: 0, topK: 0, topP: 1, …, seed: 42, maxTokens: 5 }
 */
export function completionOptions(input: Partial<Completion> = {}): CheckedCompletion {
  const sampling = samplingOptions(input);
  return { ...sampling, maxTokens: integer('max_tokens', input.maxTokens ?? DEFAULT_MAX_TOKENS, 0, 'an integer >= 0') } as CheckedCompletion;
}

/**
 * Checks next's options: top (default 10) and temperature (default 1).
 *
 * @example
 * nextOptions({ top: 5 }); // { top: 5, temperature: 1 }
 */
export function nextOptions(input: Partial<NextOptions> = {}): NextOptions {
  const given = { ...DEFAULT_NEXT, ...definedOnly(input) };
  return {
    top: integer('top', given.top, 1, 'an integer >= 1'),
    temperature: temperature(given.temperature, 'gives the most probable token probability 1'),
  };
}

/** The most alternatives with log-probabilities a token can have (OpenAI's limit). */
export const MAX_LOGPROBS = 20;

/**
 * How many alternatives to report with each token's log-probability: an integer from 0 to 20, or
 * undefined (no log-probabilities).
 *
 * @example
 * logprobsOption(5); // 5
 * logprobsOption(21); // throws OptionError: logprobs must be an integer from 0 to 20, got 21
 */
export function logprobsOption(value: unknown): Checked<number> | undefined {
  if (value === undefined) return undefined;
  return checked('logprobs', value, `an integer from 0 to ${MAX_LOGPROBS}`, (n) => Number.isInteger(n) && n >= 0 && n <= MAX_LOGPROBS) as Checked<number>;
}

/** What `score` shows beside each token, and how it windows a text longer than the context. */
export interface ScoreOptions {
  /** How many of the most probable tokens to show at each place, with their log-probabilities; 0: none. */
  top: number;
  /** How far each window of n_ctx tokens starts after the one before (Hugging Face's stride). */
  stride: number;
}

/**
 * Checks score's options for a model of context `nCtx`: top (default 0) and stride (default
 * n_ctx / 2, rounded down; from 1 to n_ctx: a window that starts after the end of the one before
 * would leave tokens unscored).
 *
 * @example
 * scoreOptions({}, 1024); // { top: 0, stride: 512 }
 * scoreOptions({ stride: 0 }, 1024); // throws OptionError: stride must be an integer from 1 to the model's context, n_ctx = 1024, got 0
 */
export function scoreOptions(input: Partial<ScoreOptions>, nCtx: number): ScoreOptions {
  const given = definedOnly(input);
  const stride = given.stride ?? Math.max(1, Math.floor(nCtx / 2));
  return {
    top: integer('top', given.top ?? 0, 0, 'an integer >= 0 (0 shows no alternatives)'),
    stride: checked('stride', stride, `an integer from 1 to the model's context, n_ctx = ${nCtx}`, (s) => Number.isSafeInteger(s) && s >= 1 && s <= nCtx),
  };
}

/** How many generations a step computes together, and how many may wait for a place. */
export interface SchedulerLimits {
  maxBatch: number;
  maxQueue: number;
}

/**
 * Checks the scheduler's limits: max_batch (default 8) an integer >= 1, max_queue (default 64)
 * an integer >= 0.
 *
 * @example
 * schedulerLimits({ maxBatch: 4 }); // { maxBatch: 4, maxQueue: 64 }
 */
export function schedulerLimits(input: Partial<SchedulerLimits> = {}): SchedulerLimits {
  return {
    maxBatch: integer('max_batch', input.maxBatch ?? 8, 1, 'an integer >= 1'),
    maxQueue: integer('max_queue', input.maxQueue ?? 64, 0, 'an integer >= 0'),
  };
}

/** What a generation asks, checked at once: a completion's options, its logprobs and its engine. */
export interface CheckedGeneration {
  completion: CheckedCompletion;
  logprobs: Checked<number> | undefined;
  engine: EngineName;
}

/**
 * Checks everything a generation asks, once, where it comes in: completionOptions, logprobs
 * (logprobsOption) and the engine (engineOption).
 *
 * @example
 * generationOptions({ maxTokens: 5, logprobs: 2 }); // { completion: { …, maxTokens: 5 }, logprobs: 2, engine: 'incremental' }
 */
export function generationOptions(input: Partial<Completion> & { logprobs?: unknown; engine?: string }): CheckedGeneration {
  return { completion: completionOptions(input), logprobs: logprobsOption(input.logprobs), engine: engineOption(input.engine) };
}

/** The engine named `name` (default incremental). */
export function engineOption(name: string = 'incremental'): EngineName {
  if (!(ENGINE_NAMES as readonly string[]).includes(name)) throw new OptionError('engine', ENGINE_NAMES.join(' or '), name);
  return name as EngineName;
}

/** The message of an empty prompt; `whereToGive` says where the caller's user writes one. */
const emptyPrompt = (whereToGive = '') => new GptSqlError(`the prompt is empty; give some text${whereToGive}`);

/**
 * Refuses, before it is sent, a prompt text that is empty or that PostgreSQL text cannot hold
 * (a NUL, a lone surrogate). `whereToGive` ends the message of an empty one.
 *
 * @example
 * checkPromptText('', ', as an argument or on standard input'); // throws: the prompt is empty; give some text, as an argument or on standard input
 * checkPromptText('a\0b'); // throws: the text contains U+0000 (NUL), which PostgreSQL text cannot hold; …
 */
export function checkPromptText(text: string, whereToGive?: string): void {
  if (text === '') throw emptyPrompt(whereToGive);
  const problem = unsendableText(text);
  if (problem) throw new GptSqlError(problem);
}

/** Token ids checked by checkPrompt against one model. */
export type CheckedPrompt = Checked<readonly number[]>;

/** Refuses a prompt the model cannot take: empty, longer than its context, or with unknown ids; returns it checked. */
export function checkPrompt(model: ModelRow, ids: readonly number[]): CheckedPrompt {
  if (ids.length === 0) throw emptyPrompt();
  if (ids.length > model.n_ctx) {
    throw new GptSqlError(`the prompt has ${ids.length} tokens but model ${model.name} reads at most n_ctx = ${model.n_ctx}; shorten it`);
  }
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= model.vocab_size);
  if (bad !== undefined) throw new GptSqlError(`token id ${bad} is not in model ${model.name}'s vocabulary (0 to ${model.vocab_size - 1})`);
  return ids as CheckedPrompt;
}

function definedOnly<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}
