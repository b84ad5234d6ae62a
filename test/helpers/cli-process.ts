// The real `gpt2sql` executable in a child process, started as `npx gpt2sql` starts it. Every test
// that runs the CLI goes through startCli: to collect how it ended (runCli), to watch and signal it
// while it runs, or with file permissions applying to it even when the tests run as root (runCliAsReader).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));

/**
 * The capabilities that let root read, write and search any file whatever its permission bits.
 * A process with uid 0 but without them is held to a file's owner bits like anyone else, and still
 * reaches the root-owned checkout (a clone in a mode-700 directory, which `nobody` could not).
 */
const WITHOUT_OVERRIDES = '-dac_override,-dac_read_search';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Ending extends CliResult {
  /** The signal that killed it, when one did (the exit code is then null). */
  signal: NodeJS.Signals | null;
  /** When it ended (performance.now()). */
  at: number;
}

export interface CliOptions {
  /** Standard input (default: none). */
  input?: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** File permissions apply to it even when the tests run as root (see runCliAsReader). */
  permissionsApply?: boolean;
}

export interface RunningCli {
  readonly pid: number;
  /** What it has printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  readonly ended: Promise<Ending>;
  /** Resolves once `check` holds for the output so far; rejects if the process ends first. */
  until(check: (stdout: string, stderr: string) => boolean): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/** The command line that runs the executable: under util-linux's setpriv without those capabilities when we are root and permissions must apply. */
function commandLine(args: string[], permissionsApply: boolean): [string, string[]] {
  const node = [process.execPath, BIN, ...args];
  if (!permissionsApply || process.getuid?.() !== 0) return [node[0], node.slice(1)];
  return ['setpriv', [`--inh-caps=${WITHOUT_OVERRIDES}`, `--bounding-set=${WITHOUT_OVERRIDES}`, '--', ...node]];
}

/**
 * Starts `gpt2sql ARGS…`: the one place tests spawn the executable.
 *
 * @example
 * const run = startCli(['complete', 'Hello', '--db', dir]);
 * await run.until((stdout) => stdout.length > 5);
 * run.kill('SIGTERM');
 * expect((await run.ended).code).toBe(143);
 */
export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const [command, commandArgs] = commandLine(args, options.permissionsApply ?? false);
  const child = spawn(command, commandArgs, { env: { ...process.env, ...options.env } });
  let stdout = '';
  let stderr = '';
  let ending: Ending | undefined;
  const waiters = new Set<() => void>();
  const changed = () => waiters.forEach((waiter) => waiter());
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), changed()));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), changed()));
  const ended = new Promise<Ending>((resolve, reject) => {
    child.on('error', (error) => reject(new Error(`cannot start ${command}: ${error.message}`)));
    child.on('close', (code, signal) => {
      ending = { code, signal, stdout, stderr, at: performance.now() };
      resolve(ending);
      changed();
    });
  });
  child.stdin.on('error', () => {}); // a process that exits before reading its input
  child.stdin.end(options.input ?? '');
  return {
    pid: child.pid!,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    ended,
    until: (check) => new Promise((resolve, reject) => {
      const test = () => {
        if (check(stdout, stderr)) resolve();
        else if (ending) reject(new Error(`gpt2sql ${args[0]} ended (exit ${ending.code}) before the awaited output; stderr:\n${stderr}`));
        else return;
        waiters.delete(test);
      };
      waiters.add(test);
      test();
    }),
    kill: (signal) => void child.kill(signal),
  };
}

/** Runs `gpt2sql ARGS…` to its end and collects its output. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const { code, stdout, stderr } = await startCli(args, options).ended;
  return { code, stdout, stderr };
}

/**
 * Runs `gpt2sql ARGS…` with file permissions applying to it, so that a chmod 000 checkpoint fails
 * for real (EACCES). Tests often run as root, who reads such a file anyway: then the CLI runs as
 * root without the capabilities that override permissions (setpriv, in Debian's essential util-linux).
 */
export function runCliAsReader(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runCli(args, { ...options, permissionsApply: true });
}
