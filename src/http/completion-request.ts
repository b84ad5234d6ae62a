import { generationOptions, type Checked, type CheckedCompletion, type Sampling } from '../engine/options.ts';
import { fromApiFields, SAMPLING_FIELDS, SAMPLING_KEYS } from '../sql/sampling-fields.ts';
import { invalidField } from './api-error.ts';
import {
  booleanField, checkFields, describe, given, integerField, isTokenIds, requiredString, type Body, type FieldRules,
} from './request-fields.ts';

/** A prompt as sent: text, or token ids. */
export type PromptInput = string | number[];

/** OpenAI's defaults where they differ from `gpt2sql complete`'s: 16 new tokens, temperature 1. The seed stays 0. */
export const API_DEFAULTS = { maxTokens: 16, temperature: 1 } as const;

/** The most stop strings, and the most completions per prompt, that OpenAI takes. */
const MOST_STOPS = 4;
const MOST_N = 128;

const isEmptyObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;

/**
 * POST /v1/completions's fields. OpenAI's fields that gpt2sql does not support are accepted only
 * at the value that asks for nothing (or null), so a client that always sends its defaults works.
 */
export const COMPLETION_FIELDS: FieldRules = {
  accepted: ['model', 'prompt', 'max_tokens', ...SAMPLING_KEYS.map((key) => SAMPLING_FIELDS[key].name), 'stop', 'n', 'stream', 'stream_options', 'logprobs', 'echo'],
  unsupported: {
    best_of: { noop: (value) => value === 1, asks: 'generates several completions on the server and returns the best' },
    suffix: { noop: (value) => value === '', asks: 'inserts text before a given suffix' },
    logit_bias: { noop: isEmptyObject, asks: 'changes the odds of given tokens' },
    user: { noop: () => false, asks: "names an end user for OpenAI's abuse monitoring; gpt2sql keeps no record of users" },
  },
};

/** A completion request, its fields checked (the engine's options by the engine). */
export interface CompletionRequest {
  model: string;
  prompts: PromptInput[];
  /** Checked by the engine's completionOptions, with max_tokens apart (each prompt has its own). */
  sampling: Omit<CheckedCompletion, 'maxTokens'>;
  /** max_tokens as given; undefined: up to API_DEFAULTS.maxTokens, as far as each prompt's context allows. */
  maxTokens: number | undefined;
  n: number;
  stream: boolean;
  includeUsage: boolean;
  /** How many alternatives to show with each token's log-probability; undefined: no log-probabilities. */
  logprobs: Checked<number> | undefined;
  echo: boolean;
  stop: string[];
}

/**
 * Checks a completion request before anything runs: the fields known, each field's type and
 * range, sampling and max_tokens by the engine (completionOptions: an OptionError names the field).
 *
 * @example
 * completionRequest({ model: 'gpt2', prompt: 'Hello', max_tokens: 5, seed: 42 }).sampling; // { temperature: 1, topK: 0, topP: 1, seed: 42 }
 */
export function completionRequest(body: Body): CompletionRequest {
  checkFields(body, COMPLETION_FIELDS);
  const stream = booleanField(body, 'stream');
  const maxTokens = given(body, 'max_tokens') as number | undefined;
  const n = integerField(body, 'n', 1, MOST_N) ?? 1;
  const seed = given(body, 'seed');
  // A seed that is not a safe integer is the engine's to refuse; one that is must stay one up to choice n - 1.
  if (Number.isSafeInteger(seed) && !Number.isSafeInteger((seed as number) + n - 1)) {
    throw invalidField('seed', `seed + n - 1 must be a safe integer (choice k is sampled with seed + k), got ${seed} + ${n - 1}`);
  }
  const fields = {
    model: requiredString(body, 'model', 'name a loaded model (GET /v1/models lists them)'),
    prompts: promptInputs(given(body, 'prompt')),
    maxTokens,
    n,
    stream,
    includeUsage: includeUsage(body, stream),
    echo: booleanField(body, 'echo'),
    stop: stopStrings(given(body, 'stop')),
  };
  // The engine's checks come last, once every field of the API's own is read.
  const { completion, logprobs } = generationOptions({
    ...(fromApiFields((name) => given(body, name)) as Partial<Sampling>),
    temperature: (given(body, 'temperature') ?? API_DEFAULTS.temperature) as number,
    maxTokens: maxTokens ?? API_DEFAULTS.maxTokens,
    logprobs: given(body, 'logprobs'),
  });
  const { maxTokens: _checked, ...sampling } = completion;
  return { ...fields, sampling, logprobs };
}

/** The prompts of `prompt`: a string, a list of strings, token ids, or a list of token-id lists. */
function promptInputs(prompt: unknown): PromptInput[] {
  const forms = 'a string, a list of strings, a list of token ids, or a list of token-id lists';
  if (prompt === undefined) throw invalidField('prompt', `prompt is required: ${forms}`, 'missing_required_parameter');
  if (typeof prompt === 'string') return [prompt];
  if (Array.isArray(prompt) && prompt.length === 0) throw invalidField('prompt', 'prompt is an empty list; give at least one prompt');
  if (isTokenIds(prompt)) return [prompt];
  if (Array.isArray(prompt) && prompt.every((item) => typeof item === 'string')) return prompt as string[];
  if (Array.isArray(prompt) && prompt.every(isTokenIds)) return prompt as number[][];
  throw invalidField('prompt', `prompt must be ${forms}, got ${describe(prompt)}`);
}

/** `stop`: a string or a list of up to 4, none empty. */
function stopStrings(stop: unknown): string[] {
  const list = typeof stop === 'string' ? [stop] : stop ?? [];
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw invalidField('stop', `stop must be a string or a list of strings, got ${describe(stop)}`);
  }
  if (list.length > MOST_STOPS) throw invalidField('stop', `stop takes at most ${MOST_STOPS} strings, got ${list.length}`);
  if (list.includes('')) throw invalidField('stop', 'a stop string is empty; every stop string needs at least one character');
  return list;
}

/** `stream_options: {include_usage}`, which only a streamed request may have. */
function includeUsage(body: Body, stream: boolean): boolean {
  const options = given(body, 'stream_options');
  if (options === undefined) return false;
  if (!stream) throw invalidField('stream_options', 'stream_options is only allowed with stream: true');
  if (typeof options !== 'object' || Array.isArray(options)) throw invalidField('stream_options', `stream_options must be an object, got ${describe(options)}`);
  checkFields(options as Body, { accepted: ['include_usage'] });
  return booleanField(options as Body, 'include_usage');
}
