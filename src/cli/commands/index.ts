import type { Command } from 'commander';
import type { Io } from '../io.ts';
import { registerComplete } from './complete.ts';
import { registerDetokenize } from './detokenize.ts';
import { registerDrop } from './drop.ts';
import { registerLoad } from './load.ts';
import { registerModels } from './models.ts';
import { registerNext } from './next.ts';
import { registerScore } from './score.ts';
import { registerServe } from './serve.ts';
import { registerSql } from './sql.ts';
import { registerTokenize } from './tokenize.ts';
import { registerTrace } from './trace.ts';

/** Every command, in the order `gpt2sql --help` lists them. */
export function registerCommands(program: Command, io: Io): void {
  registerLoad(program, io);
  registerModels(program, io);
  registerDrop(program, io);
  registerTokenize(program, io);
  registerDetokenize(program, io);
  registerComplete(program, io);
  registerNext(program, io);
  registerScore(program, io);
  registerSql(program, io);
  registerTrace(program, io);
  registerServe(program, io);
}
