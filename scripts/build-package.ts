// Builds what the package ships into dist/ (npm pack runs it as prepack):
//   dist/src, dist/migrations  the library: the TypeScript compiled to JavaScript with .d.ts files (tsconfig.build.json)
//   dist/cli                   the CLI bundled by esbuild: one file to load, so `gpt2sql --help` starts fast; the
//                              drivers, Kysely and the migrations in chunks imported when a database is opened
//   dist/explorer              the explorer page
// Usage: npx tsx scripts/build-package.ts
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildExplorer } from '../src/http/explorer-assets.ts';
import { PACKAGE_ROOT } from '../src/package-files.ts';

const dist = join(PACKAGE_ROOT, 'dist');
for (const part of ['src', 'migrations', 'cli']) rmSync(join(dist, part), { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(PACKAGE_ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });

await build({
  entryPoints: [join(PACKAGE_ROOT, 'src/cli/main.ts')],
  outdir: join(dist, 'cli'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external', // the dependencies stay in node_modules, imported as they are
  logLevel: 'warning',
});
await buildExplorer(join(dist, 'explorer'));
console.log('built dist/src, dist/migrations, dist/cli and dist/explorer');
