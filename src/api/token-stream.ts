/**
 * A generation's tokens as an async iterator: `generate` calls back with each token the moment
 * it is chosen; this queues them for a `for await` loop. Leaving the loop early (break, throw)
 * aborts the generation and waits for it to end, so its session is removed before the loop exits.
 */
export interface TokenSource<T, R> {
  /** Starts the generation: it calls `push` with each token and resolves when it ends. */
  run(push: (token: T) => void, signal: AbortSignal): Promise<R>;
}

export async function* tokenStream<T, R>(source: TokenSource<T, R>, outer?: AbortSignal): AsyncGenerator<T, R, undefined> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const controller = new AbortController();
  const stopOuter = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', stopOuter, { once: true });
  let ended = false;
  const finished = source.run((token) => {
    queue.push(token);
    notify();
  }, controller.signal).finally(() => {
    ended = true;
    notify();
  });
  finished.catch(() => {}); // rethrown below, when the loop reaches the end
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (ended) return await finished;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    outer?.removeEventListener('abort', stopOuter);
    if (!ended) {
      controller.abort(new Error('the loop over the tokens ended early'));
      await finished.catch(() => {});
    }
  }
}
