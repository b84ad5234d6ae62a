// A committed migration is history: it writes out its own DDL, so it must not change when the
// live code in src/ does. Its imports may name packages (kysely) and other migrations only.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url));
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every module a file names: `import … from 'x'`, `export … from 'x'`, `import 'x'`, `import('x')`. */
function importedModules(text: string): string[] {
  return [...text.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((match) => match[1]);
}

describe('migrations', () => {
  const files = readdirSync(MIGRATIONS).filter((file) => /\.[cm]?[jt]s$/.test(file));

  it('are there to check', () => {
    expect(files).toContain('index.ts');
  });

  it.each(files)('%s imports nothing from src/', (file) => {
    const intoSrc = importedModules(readFileSync(join(MIGRATIONS, file), 'utf8'))
      .filter((module) => module.startsWith('.') && !relative(SRC, resolve(MIGRATIONS, module)).startsWith('..'));
    expect(intoSrc).toEqual([]);
  });
});
