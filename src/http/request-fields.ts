import { invalidField } from './api-error.ts';

/** A JSON request body. */
export type Body = Record<string, unknown>;

/** An OpenAI field gpt2sql does not support: the values that ask for nothing (accepted), and what the field would do. */
export interface Unsupported {
  noop(value: unknown): boolean;
  /** What the field asks for, for the message: `penalizes tokens already in the text`. */
  asks: string;
}

/** Which fields an endpoint reads, and which of OpenAI's it refuses unless they ask for nothing. */
export interface FieldRules {
  accepted: readonly string[];
  unsupported?: Readonly<Record<string, Unsupported>>;
}

/**
 * Refuses, by name, a field the endpoint does not know and an unsupported one that asks for
 * something (null and its no-op value ask for nothing): nothing in a request is silently ignored.
 *
 * @example
 * checkFields({ prompt: 'Hi', best_of: 3 }, COMPLETION_FIELDS); // throws 400: best_of is not supported by gpt2sql …
 */
export function checkFields(body: Body, rules: FieldRules): void {
  for (const [name, value] of Object.entries(body)) {
    if (rules.accepted.includes(name)) continue;
    const unsupported = rules.unsupported && Object.hasOwn(rules.unsupported, name) ? rules.unsupported[name] : undefined;
    if (!unsupported) {
      throw invalidField(name, `unknown field "${name}"; this endpoint takes ${rules.accepted.join(', ')}`, 'unknown_parameter');
    }
    if (value !== null && !unsupported.noop(value)) {
      throw invalidField(name, `${name} is not supported by gpt2sql (it ${unsupported.asks}); remove it or send ${name}: null`, 'unsupported_parameter');
    }
  }
}

/**
 * A field that is absent or null reads as undefined.
 *
 * @example
 * given({ seed: null }, 'seed'); // undefined
 */
export function given(body: Body, name: string): unknown {
  return body[name] ?? undefined;
}

/**
 * An optional boolean field (`false` when absent or null).
 *
 * @example
 * booleanField({ stream: true }, 'stream'); // true
 */
export function booleanField(body: Body, name: string): boolean {
  const value = given(body, name);
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalidField(name, `${name} must be true or false, got ${describe(value)}`);
  return value;
}

/**
 * An optional integer field from `min` to `max` (undefined when absent or null).
 *
 * @example
 * integerField({ n: 0 }, 'n', 1, 128); // throws 400: n must be an integer from 1 to 128, got 0
 */
export function integerField(body: Body, name: string, min: number, max: number): number | undefined {
  const value = given(body, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidField(name, `${name} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

/**
 * An optional string field (undefined when absent or null).
 *
 * @example
 * stringField({ model: 'gpt2' }, 'model'); // 'gpt2'
 */
export function stringField(body: Body, name: string): string | undefined {
  const value = given(body, name);
  if (value !== undefined && typeof value !== 'string') throw invalidField(name, `${name} must be a string, got ${describe(value)}`);
  return value;
}

/**
 * A required string field.
 *
 * @example
 * requiredString({}, 'model', 'name a loaded model'); // throws 400: model is required; name a loaded model
 */
export function requiredString(body: Body, name: string, hint: string): string {
  const value = stringField(body, name);
  if (value === undefined) throw invalidField(name, `${name} is required; ${hint}`, 'missing_required_parameter');
  return value;
}

/**
 * A value as a message shows it: JSON, shortened.
 *
 * @example
 * describe('hot'); // '"hot"'
 */
export function describe(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

/**
 * A list of token ids: integers (whether they are in the vocabulary is the engine's to say).
 *
 * @example
 * isTokenIds([15496, 11]); // true
 */
export function isTokenIds(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((id) => typeof id === 'number' && Number.isInteger(id));
}
