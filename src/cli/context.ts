import { open, type Gpt2Sql } from '../api/gpt2sql.ts';
import type { GlobalOptions } from './io.ts';

/**
 * Opens the database named by --db through the library, runs `fn`, and always closes it.
 * `readsWeights: false` for a command that never computes with the weights (see OpenOptions).
 */
export async function withGpt2Sql<T>(options: GlobalOptions, fn: (gpt2: Gpt2Sql) => Promise<T>, { readsWeights = true } = {}): Promise<T> {
  const gpt2 = await open({ db: options.db, readsWeights });
  try {
    return await fn(gpt2);
  } finally {
    await gpt2.close();
  }
}
