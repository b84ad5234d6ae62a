// `gpt2sql ARGS…` in this process: what src/cli/main.ts's main() does, without process.exit. The
// same parsing, the same one-line errors and exit codes as the executable, in milliseconds.
import { buildProgram, reportError } from '../../src/cli/main.ts';
import type { CliResult } from './cli-process.ts';
import { memoryIo } from './memory-io.ts';

/** Runs the program on `args` (as typed after `gpt2sql`) with `input` on standard input. */
export async function runProgram(args: string[], input = ''): Promise<CliResult> {
  const io = memoryIo(input);
  let code = 0;
  try {
    await buildProgram(io).parseAsync(args, { from: 'user' });
  } catch (error) {
    code = reportError(error, io, args.includes('--verbose') || args.includes('-v'));
  }
  return { code, stdout: io.stdout, stderr: io.stderr };
}
