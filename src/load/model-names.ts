import { GptSqlError } from '../errors.ts';

const RESERVED = new Set(['public', 'gpt2sql', 'information_schema']);

/** The default model name for a source: the last part of a hub id or directory (`openai-community/gpt2-medium` -> `gpt2-medium`). */
export function defaultModelName(source: string): string {
  const parts = source.replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts[parts.length - 1] || source;
}

/**
 * A model's or a trace's name (`--as NAME`) as it appears in a PostgreSQL schema name: in lower
 * case, anything but letters, digits and underscores turned into underscores (`gpt2-medium` ->
 * `gpt2_medium`). Refuses a name that is empty, too long or made of other characters, with a
 * message saying what the name is for.
 *
 * @example
 * schemaNamePart('trace', 'Hello-1'); // 'hello_1'
 */
export function schemaNamePart(kind: 'model' | 'trace', name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/.test(name)) {
    throw new GptSqlError(
      `"${name}" is not a usable ${kind} name; use up to 48 letters, digits, '_', '-' or '.', starting with a letter or digit (--as NAME)`,
    );
  }
  return name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** The PostgreSQL schema a model lives in: schemaNamePart('model', name), unless that is a reserved schema. */
export function schemaForModel(name: string): string {
  const schema = schemaNamePart('model', name);
  if (RESERVED.has(schema) || schema.startsWith('pg_')) {
    throw new GptSqlError(`"${name}" would use the reserved schema "${schema}"; choose another name with --as NAME`);
  }
  return schema;
}
