import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where the data lives: an embedded PGlite directory or a PostgreSQL server URL. */
export type Target = { driver: 'pglite'; dir: string } | { driver: 'postgres'; url: string };

/** `$XDG_DATA_HOME/gpt2sql`, or `~/.local/share/gpt2sql`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'gpt2sql');
}

/**
 * Resolves `--db` (or, without it, GPT2SQL_DB, then DATABASE_URL) to a target.
 * A value starting with postgres:// or postgresql:// is a server; anything else is a directory.
 */
export function resolveTarget(db: string | undefined, env: NodeJS.ProcessEnv = process.env): Target {
  const value = db || env.GPT2SQL_DB || env.DATABASE_URL;
  if (!value) return { driver: 'pglite', dir: defaultDataDir(env) };
  if (/^postgres(ql)?:\/\//i.test(value)) return { driver: 'postgres', url: value };
  return { driver: 'pglite', dir: resolve(value) };
}
