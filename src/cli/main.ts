import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError } from 'commander';
import { GptSqlError } from '../errors.ts';
import { packageVersion } from '../package-files.ts';
import { processIo, type Io } from './io.ts';
import { registerCommands } from './commands/index.ts';

/** The `gpt2sql` program: global options and every command; no logic of its own. */
export function buildProgram(io: Io): Command {
  const program = new Command('gpt2sql')
    .description('GPT-2 running inside PostgreSQL: tokenizer, transformer and sampling as SQL')
    .option('--db <dir|url>', 'PGlite data directory or postgres:// URL (default: $GPT2SQL_DB, $DATABASE_URL, or ~/.local/share/gpt2sql)')
    .option('--model <name>', 'which loaded model to use (default: gpt2)')
    .option('-v, --verbose', 'print stack traces on errors')
    .version(packageVersion(), '-V, --version', 'print the version')
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .exitOverride();
  registerCommands(program, io);
  for (const command of withSubcommands(program)) {
    command.configureOutput({ outputError: (text, write) => write(usageError(text, command)) });
  }
  return program;
}

function withSubcommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(withSubcommands)];
}

/**
 * Commander's parse errors as one line, like every other error: `error: unknown option '--x'`
 * (and a `(Did you mean --y?)` line) becomes `gpt2sql: unknown option '--x' (did you mean --y?);
 * run gpt2sql complete --help for usage`.
 */
function usageError(text: string, command: Command): string {
  const [first, ...hints] = text.trim().replace(/^error: /, '').split('\n');
  const suggestion = hints.map((hint) => ` ${hint.trim().replace(/^\(Did/, '(did')}`).join('');
  const names = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return `gpt2sql: ${first}${suggestion}; run ${names.join(' ')} --help for usage\n`;
}

/**
 * Prints exactly one line for an error, `gpt2sql: message`; with --verbose, the stack trace after it.
 * An unexpected error (not a GptSqlError) shows its first line and says how to see the rest.
 * Returns the exit code.
 */
export function reportError(error: unknown, io: Io, verbose: boolean): number {
  if (error instanceof CommanderError) return error.exitCode;
  const message = (error instanceof Error ? error.message : String(error)).trim() || String(error);
  const expected = error instanceof GptSqlError;
  const firstLine = message.split('\n')[0];
  io.err(`gpt2sql: ${firstLine}${expected || verbose ? '' : ' (run again with --verbose for details)'}\n`);
  if (verbose && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
  return expected ? error.exitCode : 1;
}

/** The commands that never compute with the weights: a few statements, then the process ends. */
const BRIEF_COMMANDS = new Set(['tokenize', 'detokenize', 'models', 'drop', 'sql']);

/**
 * Before a brief command, WebAssembly (PGlite) is compiled by V8's baseline compiler only: its
 * optimizing compiler would spend about as much processor time again recompiling PostgreSQL's
 * hot functions in the background (and the process waits for it at its first turn of the event
 * loop), more than a few statements gain from it (tokenize on a GPT-2 124M database: 1.35 s of
 * processor time -> 0.65 s). Commands that compute keep it.
 */
function compileBriefly(_program: Command, action: Command): void {
  let command = action;
  while (command.parent?.parent) command = command.parent;
  if (BRIEF_COMMANDS.has(command.name())) setFlagsFromString('--liftoff-only');
}

/** Entry point of the executable: the only place that calls process.exit. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram(processIo).hook('preAction', compileBriefly);
  let code = 0;
  try {
    await program.parseAsync(argv);
  } catch (error) {
    code = reportError(error, processIo, argv.includes('--verbose') || argv.includes('-v'));
  }
  process.exitCode = code;
  if (code !== 0) process.exit(code);
}
