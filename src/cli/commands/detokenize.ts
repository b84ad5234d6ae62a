import type { Command } from 'commander';
import { GptSqlError } from '../../errors.ts';
import { withGpt2Sql } from '../context.ts';
import type { GlobalOptions, Io } from '../io.ts';

export interface DetokenizeCommandOptions extends GlobalOptions {
  /** Print the text as a JSON string. */
  json?: boolean;
}

/**
 * `gpt2sql detokenize ID…`: the text of token ids, computed by sql/detokenize.sql. The ids come
 * from the arguments or, without any, from standard input; both may be a JSON array, as
 * `gpt2sql tokenize --json` prints. Prints the text exactly (no newline added). Returns it.
 */
export async function detokenizeCommand(args: readonly string[], options: DetokenizeCommandOptions, io: Io): Promise<string> {
  const ids = parseIds(args.length > 0 ? args.join(' ') : await io.readStdin());
  const text = await withGpt2Sql(options, (gpt2) => gpt2.detokenize(ids, { model: options.model }), { readsWeights: false });
  io.out(options.json ? `${JSON.stringify(text)}\n` : text);
  return text;
}

/** Token ids separated by spaces or commas, optionally inside JSON brackets: `15496 11`, `[15496, 11]`. */
export function parseIds(input: string): number[] {
  const words = input.replace(/[[\]]/g, ' ').split(/[\s,]+/).filter((word) => word !== '');
  return words.map((word) => {
    if (!/^\d+$/.test(word)) throw new GptSqlError(`"${word}" is not a token id; give non-negative integers, like: gpt2sql detokenize 15496 11 995`);
    return Number(word);
  });
}

export function registerDetokenize(program: Command, io: Io): void {
  program
    .command('detokenize')
    .description('the text of GPT-2 token ids, computed by SQL in the database')
    .argument('[ids...]', 'token ids, or a JSON array of them (default: read them from standard input)')
    .option('--json', 'print the text as a JSON string')
    .addHelpText('after', `
Examples:
  $ gpt2sql detokenize 15496 11 995
  $ gpt2sql detokenize '[15496, 11, 995]' --json
  $ gpt2sql tokenize --json "Hello" | gpt2sql detokenize`)
    .action(async (ids: string[], _options: unknown, command: Command) => {
      await detokenizeCommand(ids, command.optsWithGlobals<DetokenizeCommandOptions>(), io);
    });
}
