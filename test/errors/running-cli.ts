// The real executable as a process to watch while it runs: wait until it has printed something,
// signal it, and collect how it ended (issue 7's interruption and concurrency tests).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliResult } from '../helpers/run-cli.ts';

const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));

export interface Ending extends CliResult {
  /** The signal that killed it, when one did (the exit code is then null). */
  signal: NodeJS.Signals | null;
  /** When it ended (performance.now()). */
  at: number;
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

/** Starts `gpt2sql ARGS…` with `input` on standard input. */
export function startCli(args: string[], input = ''): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args]);
  let stdout = '';
  let stderr = '';
  let ending: Ending | undefined;
  const waiters = new Set<() => void>();
  const changed = () => waiters.forEach((waiter) => waiter());
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), changed()));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), changed()));
  const ended = new Promise<Ending>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      ending = { code, signal, stdout, stderr, at: performance.now() };
      resolve(ending);
      changed();
    });
  });
  child.stdin.end(input);
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
