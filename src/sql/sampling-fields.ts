/**
 * The sampling fields, each declared once: how the next token is chosen (the rules of
 * src/reference/sample.ts). Everything else is derived from this table: the `Sampling` type, the
 * SQL inputs of choosing.sql (one array per field, one value per sequence), the checks and their
 * messages (src/engine/options.ts), the CLI flags (--top-p), the HTTP API's fields and the
 * explorer's query parameters (top_p, OpenAI's spelling). It imports nothing, so every layer,
 * the explorer's page included, can read it.
 */

/** One sampling field. */
export interface SamplingField {
  /** Its name for users and in SQL, as OpenAI's API spells it: the API field, the explorer's parameter, choosing.sql's column. */
  readonly name: string;
  /** Its SQL type; choosing.sql takes an array of it (`float8[]`). */
  readonly type: 'float8' | 'int' | 'bigint';
  /** The value that asks for nothing (the engine's default). */
  readonly default: number;
  /** The rule, as a message says it: `top_p must be <rule>, got 1.5`. */
  readonly rule: string;
  /** Whether a finite number keeps the rule. */
  readonly holds: (value: number) => boolean;
  /** The CLI flag's help, and the name of its value in it (`--top-p <p>`). */
  readonly help: string;
  readonly arg: string;
}

const isInteger = (value: number) => Number.isSafeInteger(value);

/** The temperatures accepted besides 0: every one of them gives finite logits / temperature. */
export const TEMPERATURE_RANGE = { min: 1e-6, max: 1e6 } as const;

/** The largest penalty magnitude, OpenAI's. */
const MOST_PENALTY = 2;

/** The fields, in the order of choosing.sql's columns, under the engine's field names. */
export const SAMPLING_FIELDS = {
  temperature: {
    name: 'temperature', type: 'float8', default: 0,
    rule: `0 (always takes the most probable token) or a number from ${TEMPERATURE_RANGE.min} to ${TEMPERATURE_RANGE.max}`,
    holds: (t) => t === 0 || (t >= TEMPERATURE_RANGE.min && t <= TEMPERATURE_RANGE.max),
    help: "0 always takes the most probable token; 1 samples the model's distribution", arg: 't',
  },
  topK: {
    name: 'top_k', type: 'int', default: 0, rule: 'an integer >= 0 (0 keeps every token)',
    holds: (k) => isInteger(k) && k >= 0, help: 'sample only from the k most probable tokens (0: all)', arg: 'k',
  },
  topP: {
    name: 'top_p', type: 'float8', default: 1, rule: 'a number in (0, 1] (1 keeps every token)',
    holds: (p) => p > 0 && p <= 1, help: 'sample only from the most probable tokens that together reach p (1: all)', arg: 'p',
  },
  minP: {
    name: 'min_p', type: 'float8', default: 0, rule: 'a number in [0, 1] (0 keeps every token)',
    holds: (p) => p >= 0 && p <= 1, help: 'sample only from the tokens at least p times as probable as the most probable one (0: all)', arg: 'p',
  },
  presencePenalty: {
    name: 'presence_penalty', type: 'float8', default: 0, rule: `a number from -${MOST_PENALTY} to ${MOST_PENALTY}`,
    holds: (v) => v >= -MOST_PENALTY && v <= MOST_PENALTY, help: 'subtracted from the logit of each token already generated (0: none)', arg: 'x',
  },
  frequencyPenalty: {
    name: 'frequency_penalty', type: 'float8', default: 0, rule: `a number from -${MOST_PENALTY} to ${MOST_PENALTY}`,
    holds: (v) => v >= -MOST_PENALTY && v <= MOST_PENALTY, help: 'subtracted from the logit of each token once per time it was generated (0: none)', arg: 'x',
  },
  seed: {
    name: 'seed', type: 'bigint', default: 0, rule: 'an integer', holds: isInteger, help: 'the same seed and options give the same text', arg: 'n',
  },
} as const satisfies Record<string, SamplingField>;

/** A sampling field's CLI flag, its name with dashes (top_p: --top-p). */
export const flagOf = (name: string) => `--${name.replaceAll('_', '-')}`;

/** A sampling field's engine name (topP). */
export type SamplingKey = keyof typeof SAMPLING_FIELDS;

/** A sampling field's name for users and SQL (top_p). */
export type SamplingName = (typeof SAMPLING_FIELDS)[SamplingKey]['name'];

/** How the next token is chosen: one number per field of SAMPLING_FIELDS. */
export type Sampling = { [K in SamplingKey]: number };

export const SAMPLING_KEYS = Object.keys(SAMPLING_FIELDS) as SamplingKey[];

/** Every field at its default: greedy, no filter, no penalty, seed 0. */
export const DEFAULT_SAMPLING: Sampling = Object.fromEntries(SAMPLING_KEYS.map((key) => [key, SAMPLING_FIELDS[key].default])) as Sampling;

/** The CLI flags that ask for `sampling`, every field spelled out: `--temperature 0.8 --top-k 40 …`. */
export function samplingFlags(sampling: Sampling): string {
  return SAMPLING_KEYS.map((key) => `${flagOf(SAMPLING_FIELDS[key].name)} ${sampling[key]}`).join(' ');
}

/**
 * `sampling` under the API's field names, the fields it leaves out left out.
 *
 * @example
 * apiFields({ topP: 0.9 }); // { top_p: 0.9 }
 */
export function apiFields(sampling: Partial<Sampling>): Record<string, number> {
  return Object.fromEntries(SAMPLING_KEYS.filter((key) => sampling[key] !== undefined).map((key) => [SAMPLING_FIELDS[key].name, sampling[key]!]));
}

/**
 * The sampling fields as sent under the API's names, read by `read`, under the engine's names:
 * not checked yet (the engine's checks do that).
 *
 * @example
 * fromApiFields((name) => body[name]); // { temperature: 0.8, topK: undefined, … }
 */
export function fromApiFields(read: (name: SamplingName) => unknown): Partial<Record<SamplingKey, unknown>> {
  return Object.fromEntries(SAMPLING_KEYS.map((key) => [key, read(SAMPLING_FIELDS[key].name)]));
}

/** How a query string's value of the field reads: an integer (int, bigint) or any number (float8). */
export const numberKind = (key: SamplingKey) => (SAMPLING_FIELDS[key].type === 'float8' ? 'number' : 'integer');
