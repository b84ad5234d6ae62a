import type { Database } from '../db/database.ts';

/** A generation session: its id keys its rows in the model's kv_cache, which go with it (ON DELETE CASCADE). */
export interface Session {
  readonly id: number;
  /** Removes the session and its cache; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Starts a generation session for `model`, after removing the leftovers of sessions whose process
 * died without closing them (killed, or the machine crashed). A session is alive while a backend
 * with its pid runs that started before it: PostgreSQL reuses pids, and PGlite always has the same
 * one, whose backend_start is when the current process opened the database. Another user's backend
 * whose details we may not see counts as alive.
 *
 * @example
 * const session = await openSession(db, 'gpt2');
 * try { ... } finally { await session.close(); }
 */
export async function openSession(db: Database, model: string): Promise<Session> {
  await removeStaleSessions(db);
  const [row] = await db.query<{ session: number }>('INSERT INTO gpt2sql.sessions (model) VALUES ($1) RETURNING session', [model]);
  const id = Number(row.session);
  let closed = false;
  return {
    id,
    async close() {
      if (closed) return;
      closed = true;
      await db.query('DELETE FROM gpt2sql.sessions WHERE session = $1', [id]);
    },
  };
}

/** Deletes the sessions no live backend owns; their cache rows go with them (ON DELETE CASCADE). */
async function removeStaleSessions(db: Database): Promise<void> {
  await db.query(`
    DELETE FROM gpt2sql.sessions AS s
    WHERE NOT EXISTS (
      SELECT FROM pg_stat_activity AS a
      WHERE a.pid = s.backend_pid
        AND (a.backend_start <= s.started_at OR a.backend_start IS NULL) -- NULL: another user's, not ours to judge
    )`);
}
