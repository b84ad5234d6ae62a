#!/usr/bin/env node
// The `gpt2sql` executable. An installed package runs its compiled CLI (dist/cli, built when the
// package is packed); a checkout, which has the sources, runs them through tsx (src/cli/bin.mjs),
// so an edit needs no build step.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/cli/main.ts', import.meta.url))) {
  await import('../src/cli/bin.mjs');
} else {
  const { main } = await import('../dist/cli/main.js');
  await main(process.argv);
}
