#!/usr/bin/env node
// The `gpt2sql` executable: runs the TypeScript sources directly through tsx, so a checkout
// needs no build step. The large JavaScript dependencies are imported first, natively and in
// parallel: through tsx's loader hooks the same imports take about a second longer.
await Promise.all([
  import('kysely'),
  import('pg'),
  import('commander'),
  import('@electric-sql/pglite'),
  import('@huggingface/hub'),
]);
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('./main.ts');
await main(process.argv);
