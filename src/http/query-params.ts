import type { IncomingMessage } from 'node:http';
import { invalidField } from './api-error.ts';

/** How a query parameter is read: text as given, or a number (integer: a whole one). */
export type ParamKind = 'text' | 'number' | 'integer';

/**
 * The query parameters of a GET endpoint, read by kind: each one given at most once, none that
 * the endpoint does not take (400 names it), numbers written as numbers. Missing ones are
 * undefined: the engine's options give their defaults and ranges.
 *
 * @example
 * queryParams(request, { model: 'text', block: 'integer' }); // /x?model=gpt2&block=3 → { model: 'gpt2', block: 3 }
 */
export function queryParams<K extends string>(request: IncomingMessage, kinds: Record<K, ParamKind>): Partial<Record<K, string | number>> {
  const search = new URL(request.url ?? '/', 'http://host').searchParams;
  const values: Partial<Record<K, string | number>> = {};
  for (const name of new Set(search.keys())) {
    if (!Object.hasOwn(kinds, name)) {
      throw invalidField(name, `unknown parameter ${name}; this endpoint takes ${Object.keys(kinds).join(', ')}`, 'unknown_parameter');
    }
    const given = search.getAll(name);
    if (given.length > 1) throw invalidField(name, `${name} is given ${given.length} times; give it once`);
    values[name as K] = read(name, given[0], kinds[name as K]);
  }
  return values;
}

function read(name: string, text: string, kind: ParamKind): string | number {
  if (kind === 'text') return text;
  const number = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(number)) throw invalidField(name, `${name} must be a number, got "${text}"`);
  if (kind === 'integer' && !Number.isSafeInteger(number)) throw invalidField(name, `${name} must be an integer, got "${text}"`);
  return number;
}

/** A parameter that must be there. */
export function required<T>(value: T | undefined, name: string, hint: string): T {
  if (value === undefined) throw invalidField(name, `${name} is required: ${hint}`, 'missing_required_parameter');
  return value;
}
