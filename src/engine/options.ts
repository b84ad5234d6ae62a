import type { ModelRow } from '../db/catalog-tables.ts';
import { GptSqlError } from '../errors.ts';

/** How the next token is chosen; the rules are src/reference/sample.ts's. */
export interface Sampling {
  /** 0 is greedy (the most probable token); 1 samples from the model's distribution. */
  temperature: number;
  /** Keep only the k most probable tokens; 0 keeps all. */
  topK: number;
  /** Keep the smallest set of most probable tokens whose probability reaches p; 1 keeps all. */
  topP: number;
  /** The same seed (and options) gives the same tokens. */
  seed: number;
}

/** Options as they arrive: numbers from code, strings from the command line. */
export type SamplingInput = { [K in keyof Sampling]?: number | string };

export const DEFAULT_SAMPLING: Sampling = { temperature: 0, topK: 0, topP: 1, seed: 0 };

export const ENGINE_NAMES = ['incremental', 'recompute'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** A finite number from a flag's value, or a message naming the flag. */
export function numberOption(flag: string, value: number | string, rule: string): number {
  const number = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(number)) throw new GptSqlError(`${flag} must be ${rule}, got "${value}"`);
  return number;
}

/** The temperatures accepted besides 0: every one of them gives finite logits / temperature. */
export const TEMPERATURE_RANGE = { min: 1e-6, max: 1e6 } as const;

/**
 * A temperature: 0, or from 1e-6 to 1e6. Below 1e-6 sampling is greedy in all but ties a
 * float8 cannot tell apart, and logits / temperature would leave float8's range for large logits;
 * above 1e6 every token is equally likely.
 */
export function temperatureOption(value: number | string, zero: string): number {
  const rule = `0 (${zero}) or a number from ${TEMPERATURE_RANGE.min} to ${TEMPERATURE_RANGE.max}`;
  const temperature = numberOption('--temperature', value, rule);
  if (temperature !== 0 && !(temperature >= TEMPERATURE_RANGE.min && temperature <= TEMPERATURE_RANGE.max)) {
    throw new GptSqlError(`--temperature must be ${rule}, got "${value}"`);
  }
  return temperature;
}

/** An integer from a flag's value, at least `min`. */
export function integerOption(flag: string, value: number | string, min: number, rule: string): number {
  const number = numberOption(flag, value, rule);
  if (!Number.isSafeInteger(number) || number < min) throw new GptSqlError(`${flag} must be ${rule}, got "${value}"`);
  return number;
}

/**
 * Checks sampling options before any SQL is sent; missing ones take the defaults (greedy).
 *
 * @example
 * samplingOptions({ temperature: '0.8', topK: '40' }); // { temperature: 0.8, topK: 40, topP: 1, seed: 0 }
 */
export function samplingOptions(input: SamplingInput = {}): Sampling {
  const { temperature, topK, topP, seed } = { ...DEFAULT_SAMPLING, ...definedOnly(input) };
  const sampling = {
    temperature: temperatureOption(temperature, 'always takes the most probable token'),
    topK: integerOption('--top-k', topK, 0, 'an integer >= 0 (0 keeps every token)'),
    topP: numberOption('--top-p', topP, 'a number in (0, 1] (1 keeps every token)'),
    seed: integerOption('--seed', seed, Number.MIN_SAFE_INTEGER, 'an integer'),
  };
  if (!(sampling.topP > 0 && sampling.topP <= 1)) throw new GptSqlError(`--top-p must be a number in (0, 1] (1 keeps every token), got "${topP}"`);
  return sampling;
}

/** The engine named `name` (default incremental). */
export function engineOption(name: string = 'incremental'): EngineName {
  if (!(ENGINE_NAMES as readonly string[]).includes(name)) {
    throw new GptSqlError(`--engine must be ${ENGINE_NAMES.join(' or ')}, got "${name}"`);
  }
  return name as EngineName;
}

/** Refuses a prompt the model cannot take: empty, longer than its context, or with unknown ids. */
export function checkPrompt(model: ModelRow, ids: readonly number[]): void {
  if (ids.length === 0) throw new GptSqlError('the prompt is empty; give some text to continue');
  if (ids.length > model.n_ctx) {
    throw new GptSqlError(`the prompt has ${ids.length} tokens but model ${model.name} reads at most n_ctx = ${model.n_ctx}; shorten it`);
  }
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= model.vocab_size);
  if (bad !== undefined) throw new GptSqlError(`token id ${bad} is not in model ${model.name}'s vocabulary (0 to ${model.vocab_size - 1})`);
}

function definedOnly<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}
