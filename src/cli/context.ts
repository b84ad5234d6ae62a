import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/open-database.ts';
import type { GlobalOptions } from './io.ts';

/**
 * Opens the database named by --db, runs `fn`, and always closes it. `readsWeights: false` for a
 * command that never computes with the weights (see OpenOptions).
 */
export async function withDatabase<T>(options: GlobalOptions, fn: (db: Database) => Promise<T>, { readsWeights = true } = {}): Promise<T> {
  const db = await openDatabase({ db: options.db, readsWeights });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
