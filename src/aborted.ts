/**
 * Whether `signal` has been aborted, once pending signal handlers have run. PGlite works without
 * returning to the event loop (its results resolve in microtasks), so a Ctrl-C would wait unseen
 * until the command ends: a timer and an immediate let the loop pass its poll phase, where
 * process signal handlers run, first. Call it between statements.
 *
 * @example
 * for (const stage of stages) {
 *   if (await aborted(options.signal)) throw options.signal!.reason;
 *   await db.exec(stage);
 * }
 */
export async function aborted(signal: AbortSignal | undefined): Promise<boolean> {
  if (!signal) return false;
  await new Promise((resolve) => setTimeout(resolve, 0));
  await new Promise((resolve) => setImmediate(resolve));
  return signal.aborted;
}

/** Throws the signal's reason if it has been aborted (see aborted). */
export async function stopIfAborted(signal: AbortSignal | undefined): Promise<void> {
  if (await aborted(signal)) signal!.throwIfAborted();
}

/** Resolves when `signal` is aborted (at once if it already is): for waits that are no database work. */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
