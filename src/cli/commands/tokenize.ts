import type { Command } from 'commander';
import type { ModelChoice, TokenPiece } from '../../api/api-types.ts';
import type { Gpt2Sql } from '../../api/gpt2sql.ts';
import { GptSqlError } from '../../errors.ts';
import { withGpt2Sql } from '../context.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { formatTable } from '../table.ts';

export interface TokenizeCommandOptions extends GlobalOptions {
  /** Print the ids as one JSON array. */
  json?: boolean;
  /** Read one JSON string per line of standard input; print one JSON id array per line. */
  jsonl?: boolean;
}

/**
 * `gpt2sql tokenize [TEXT]`: GPT-2's token ids for TEXT (or standard input), computed by
 * sql/tokenize.sql. Returns the ids (one array per line with --jsonl).
 */
export async function tokenizeCommand(text: string | undefined, options: TokenizeCommandOptions, io: Io): Promise<number[] | number[][]> {
  if (options.json && options.jsonl) throw new GptSqlError('--json and --jsonl cannot be used together; --jsonl already prints JSON');
  if (options.jsonl && text !== undefined) throw new GptSqlError('--jsonl reads its strings from standard input; leave out TEXT');
  const input = text ?? (await io.readStdin());
  return withGpt2Sql(options, async (gpt2) => {
    const model = { model: (await gpt2.model(options.model)).name };
    if (options.jsonl) return tokenizeLines(gpt2, model, input, io);
    const ids = await gpt2.tokenize(input, model);
    io.out(options.json ? `${JSON.stringify(ids)}\n` : formatTokens(await gpt2.tokenPieces(ids, model)));
    return ids;
  }, { readsWeights: false });
}

/** --jsonl: each line a JSON string, each answered by a line with its id array, in order. */
async function tokenizeLines(gpt2: Gpt2Sql, model: ModelChoice, input: string, io: Io): Promise<number[][]> {
  const lines = input.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the newline that ends the last line
  const results: number[][] = [];
  for (const [index, line] of lines.entries()) {
    const ids = await gpt2.tokenize(parseJsonString(line, index + 1), model);
    io.out(`${JSON.stringify(ids)}\n`);
    results.push(ids);
  }
  return results;
}

function parseJsonString(line: string, lineNumber: number): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string') {
    const shown = line.length > 40 ? `${line.slice(0, 40)}…` : line;
    throw new GptSqlError(`standard input line ${lineNumber} is not a JSON string (${JSON.stringify(shown)}); --jsonl expects one per line, like "Hello, world"`);
  }
  return value;
}

/** The table view: position, id, and each token's text, quoted so spaces and newlines show. */
export function formatTokens(pieces: readonly TokenPiece[]): string {
  const rows = pieces.map((piece, position) => [position, piece.token, showBytes(piece.bytes)]);
  return formatTable(['position', 'token', 'text'], rows);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A token's text as a JSON string, or its bytes in hex when they are part of a character. */
function showBytes(bytes: Uint8Array): string {
  try {
    return JSON.stringify(STRICT_UTF8.decode(bytes));
  } catch {
    return `bytes ${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
  }
}

export function registerTokenize(program: Command, io: Io): void {
  program
    .command('tokenize')
    .description("GPT-2's token ids for a text, computed by SQL in the database")
    .argument('[text]', 'the text (default: all of standard input, exactly as given)')
    .option('--json', 'print the ids as a JSON array')
    .option('--jsonl', 'read one JSON string per line of standard input, print one JSON id array per line')
    .addHelpText('after', `
Examples:
  $ gpt2sql tokenize "Hello, world"
  $ gpt2sql tokenize --json < prompt.txt
  $ echo '"Hello, wörld!"' | gpt2sql tokenize --jsonl
  $ jq -c .text data.jsonl | gpt2sql tokenize --jsonl > ids.jsonl`)
    .action(async (text: string | undefined, _options: unknown, command: Command) => {
      await tokenizeCommand(text, command.optsWithGlobals<TokenizeCommandOptions>(), io);
    });
}
