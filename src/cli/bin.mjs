#!/usr/bin/env node
// The `gpt2sql` executable: runs the TypeScript sources directly through tsx, so a checkout
// needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
await main(process.argv);
