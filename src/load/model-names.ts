import { GptSqlError } from '../errors.ts';

const RESERVED = new Set(['public', 'gpt2sql', 'information_schema']);

/** The default model name for a source: the last part of a hub id or directory (`openai-community/gpt2-medium` -> `gpt2-medium`). */
export function defaultModelName(source: string): string {
  const parts = source.replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts[parts.length - 1] || source;
}

/**
 * The PostgreSQL schema a model lives in: its name in lower case with anything but letters,
 * digits and underscores turned into underscores (`gpt2-medium` -> `gpt2_medium`).
 */
export function schemaForModel(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/.test(name)) {
    throw new GptSqlError(
      `"${name}" is not a usable model name; use up to 48 letters, digits, '_', '-' or '.', starting with a letter or digit (--as NAME)`,
    );
  }
  const schema = name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (RESERVED.has(schema) || schema.startsWith('pg_')) {
    throw new GptSqlError(`"${name}" would use the reserved schema "${schema}"; choose another name with --as NAME`);
  }
  return schema;
}
