import { constants } from 'node:os';
import { GptSqlError } from '../errors.ts';
import type { Io } from './io.ts';

/** The signals that stop a command as Ctrl-C does: Ctrl-C itself, `kill`, and a closed terminal. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * The reason withStopSignals aborts with: which signal came. An Error, since code below the CLI
 * may throw the reason through a driver that reads its message (a COPY is ended with it).
 */
export class StopSignalReceived extends Error {
  override name = 'StopSignalReceived';
  constructor(readonly signal: StopSignal) {
    super(`interrupted by ${signal}`);
  }
}

/** The signal an aborted AbortSignal stands for: the one withStopSignals received, else (a caller's own abort) Ctrl-C's. */
function stopSignal(signal: AbortSignal): StopSignal {
  return signal.reason instanceof StopSignalReceived ? signal.reason.signal : 'SIGINT';
}

/**
 * The error a command stopped by a signal ends with: `interrupted by SIGTERM` and `what` (what was
 * kept, what to do), and the exit code a shell expects after that signal, 128 + its number.
 *
 * @example
 * throw interruptedError(options.signal, ': the trace was rolled back'); // gpt2sql: interrupted by SIGTERM: the trace was rolled back (exit code 143)
 */
export function interruptedError(signal: AbortSignal, what: string): GptSqlError {
  const name = stopSignal(signal);
  return new GptSqlError(`interrupted by ${name}${what}`, { exitCode: 128 + constants.signals[name] });
}

/**
 * Runs a command's `fn` with an AbortSignal that the first SIGINT, SIGTERM or SIGHUP aborts (its
 * reason a StopSignalReceived), after printing `gpt2sql: STOPPING (Ctrl-C again to quit at once)`.
 * `fn` stops where nothing is left half written (after the statement running, rolling its
 * transaction back) and throws interruptedError. A command that finished its work all the same
 * ends with interruptedError too: once signalled, the exit code is 128 + the signal's number.
 * A second signal ends the process at once, as the signal does by default: a server rolls back
 * the transaction of a connection that drops, and PGlite recovers on the next open.
 *
 * @example
 * await withStopSignals(io, 'stopping after the current step', (signal) => completeCommand(prompt, { ...options, signal }, io));
 */
export async function withStopSignals<T>(io: Io, stopping: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: StopSignal) => {
    if (controller.signal.aborted) {
      release();
      return void process.kill(process.pid, signal);
    }
    const again = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    io.err(`${io.interactive ? '\n' : ''}gpt2sql: ${stopping} (${again} again to quit at once)\n`);
    controller.abort(new StopSignalReceived(signal));
  };
  const release = () => STOP_SIGNALS.forEach((name) => process.off(name, onSignal));
  STOP_SIGNALS.forEach((name) => process.on(name, onSignal));
  try {
    const result = await fn(controller.signal);
    if (controller.signal.aborted) throw interruptedError(controller.signal, ' as the command finished; its work was done');
    return result;
  } finally {
    release();
  }
}

/** Resolves when `signal` is aborted (at once if it already is): for waits that are no database work. */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
