/**
 * Where the package's own files are, found once from this module's place: the same code runs as
 * TypeScript from a checkout (src/package-files.ts) and compiled in an installed package
 * (dist/src/package-files.js), so paths are taken from the package root, the nearest directory
 * above that holds a package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`gpt2sql: no package.json above ${start}; the package is incomplete, reinstall it`);
  }
}

/** The package's root: the checkout, or node_modules/gpt2sql once installed. */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** The SQL templates (sql/*.sql), read by the renderer. */
export const SQL_DIR = join(PACKAGE_ROOT, 'sql');

/** The explorer page's sources: only in a checkout, an installed package has its build alone. */
export const EXPLORER_SOURCE = join(PACKAGE_ROOT, 'src', 'explorer');

/** The explorer page's build (prepare and prepack write it; `serve` rebuilds it from a checkout's sources). */
export const EXPLORER_DIST = join(PACKAGE_ROOT, 'dist', 'explorer');

/** The version in package.json, as `gpt2sql --version` prints it. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
