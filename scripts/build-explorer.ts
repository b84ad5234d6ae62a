// Builds the explorer page (src/explorer) into dist/explorer, or into OUT_DIR: npm test and npm
// pack run it; gpt2sql serve also builds it when it is missing or older than its sources.
// Usage: npx tsx scripts/build-explorer.ts [OUT_DIR]
import { relative } from 'node:path';
import { buildExplorer, EXPLORER_DIST } from '../src/http/explorer-assets.ts';

const outDir = process.argv[2] ?? EXPLORER_DIST;
try {
  await buildExplorer(outDir);
  console.log(`built the explorer page into ${relative(process.cwd(), outDir) || '.'}`);
} catch (error) {
  console.error(`could not build the explorer page: ${(error as Error).message}`);
  process.exitCode = 1;
}
