/** The one place values and names are quoted for SQL. */

/** Quotes an identifier for PostgreSQL: `gpt2` -> "gpt2", `a"b` -> "a""b". */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Quotes a value as a SQL literal, for the scripts `gpt2sql sql` prints for psql and the
 * arguments of EXECUTE. An escape string keeps backslashes and quotes whatever
 * standard_conforming_strings is; NUL cannot be represented in PostgreSQL text.
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
