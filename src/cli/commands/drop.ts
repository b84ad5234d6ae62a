import type { Command } from 'commander';
import { withGpt2Sql } from '../context.ts';
import type { GlobalOptions, Io } from '../io.ts';

/** `gpt2sql drop NAME`: removes a model's schema and catalog row in one transaction. */
export async function dropCommand(name: string, options: GlobalOptions, io: Io): Promise<void> {
  await withGpt2Sql(options, (gpt2) => gpt2.drop(name), { readsWeights: false });
  io.err(`dropped model ${name}\n`);
}

export function registerDrop(program: Command, io: Io): void {
  program
    .command('drop')
    .description('remove a loaded model and all its tables')
    .argument('<name>', 'the model name, as `gpt2sql models` lists it')
    .addHelpText('after', '\nExample:\n  $ gpt2sql drop distilgpt2')
    .action(async (name: string, _options: unknown, command: Command) => {
      await dropCommand(name, command.optsWithGlobals<GlobalOptions>(), io);
    });
}
