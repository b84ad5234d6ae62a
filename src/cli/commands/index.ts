import type { Command } from 'commander';
import type { Io } from '../io.ts';
import { registerDetokenize } from './detokenize.ts';
import { registerDrop } from './drop.ts';
import { registerLoad } from './load.ts';
import { registerModels } from './models.ts';
import { registerServe } from './serve.ts';
import { registerTokenize } from './tokenize.ts';

/** Every command, in the order `gpt2sql --help` lists them. */
export function registerCommands(program: Command, io: Io): void {
  registerLoad(program, io);
  registerModels(program, io);
  registerDrop(program, io);
  registerTokenize(program, io);
  registerDetokenize(program, io);
  registerServe(program, io);
}
