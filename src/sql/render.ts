import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));
const cache = new Map<string, string>();

/** The text of `sql/<name>.sql`. */
export function template(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(`${SQL_DIR}${name}.sql`, 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** Values a template's `{{name}}` placeholders are replaced with: SQL fragments we generate. */
export type Fragments = Record<string, string | number>;

/**
 * Renders `sql/<name>.sql`: every `{{name}}` is replaced by its fragment. Fragments are
 * hyperparameters (numbers), identifiers (pass them through quoteIdent) and kernel snippets,
 * never user input: user values travel as bind parameters ($1, $2, …).
 *
 * @example
 * render('embed', { n_embd: 768 })
 */
export function render(name: string, fragments: Fragments = {}): string {
  return template(name).replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => {
    if (!(key in fragments)) throw new Error(`sql/${name}.sql: no value for {{${key}}}`);
    return String(fragments[key]);
  });
}

/** Quotes an identifier for PostgreSQL: `gpt2` -> "gpt2", `a"b` -> "a""b". */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Quotes a value as a SQL literal, for the scripts `gpt2sql sql` prints for psql and the
 * arguments of EXECUTE (src/engine/run-statement.ts). Uses an escape string so backslashes and quotes survive any
 * standard_conforming_strings setting; NUL cannot be represented in PostgreSQL text.
 */
export function quoteLiteral(value: string | number | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot quote ${value} as a SQL literal`);
    return String(value);
  }
  if (value.includes('\0')) throw new Error('text with a NUL byte cannot be sent to PostgreSQL');
  const escaped = value.replace(/\\/g, '\\\\').replace(/'/g, "''");
  return escaped.includes('\\') ? `E'${escaped}'` : `'${escaped}'`;
}
