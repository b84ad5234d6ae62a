// Dropping a model while another model's generation session closes, on a server: the session's
// DELETE locks gpt2sql.sessions and then every model's kv_cache (its foreign keys cascade), and
// DROP SCHEMA locks the dropped model's kv_cache and then sessions. dropModel takes sessions first,
// so neither waits for the other in a circle: both finish, no "deadlock detected". The embedded
// database has one connection, so the two cannot overlap there; its drops run the same statements
// (test/cli, test/load).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { openSession } from '../../src/engine/session.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { testDatabases } from '../helpers/databases.ts';
import { dropModel, loadTestModel, type LoadedModel } from '../engine/forward-models.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';

const SIZE = { n_layer: 1, n_head: 1, n_embd: 8, n_ctx: 16, vocab_size: SMALL_VOCAB };
const servers = testDatabases().filter((target) => target.driver === 'postgres');

/** Whether the backend `pid` waits for a lock. */
async function waitsForLock(db: Database, pid: number): Promise<boolean> {
  const [row] = await db.query<{ waiting: boolean }>(`SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1`, [pid]);
  return row?.waiting === true;
}

async function backendPid(db: Database): Promise<number> {
  const [row] = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return Number(row.pid);
}

describe.each(servers)('dropping a model while a session of another closes, on $driver', (target) => {
  let closing: Database;
  let dropping: Database;
  let holding: Database;
  let watching: Database;
  let staying: LoadedModel;
  let dropped: LoadedModel;
  beforeAll(async () => {
    [closing, dropping, holding, watching] = await Promise.all([target.open(), target.open(), target.open(), target.open()]);
    staying = await loadTestModel(closing, { ...SIZE, seed: 91 });
    dropped = await loadTestModel(closing, { ...SIZE, seed: 92 });
  });
  afterAll(async () => {
    await dropModel(closing, staying.model);
    await Promise.all([closing.close(), dropping.close(), holding.close(), watching.close()]);
  });

  it('both finish: the drop waits for the session\'s DELETE, or the DELETE for the drop, never both', async () => {
    const session = await openSession(closing, staying.model.name);
    // A reader of the dropped model's cache holds the drop at that table, after the drop began:
    // unordered, the drop would hold that table when it asks for sessions.
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const reading = holding.transaction(async () => {
      await holding.query(`SELECT FROM ${quoteIdent(dropped.model.schema_name)}.kv_cache LIMIT 1`);
      await held;
    });
    const [droppingPid, closingPid] = await Promise.all([backendPid(dropping), backendPid(closing)]);
    await expect.poll(async () => (await watching.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = '${quoteIdent(dropped.model.schema_name)}.kv_cache'::regclass AND granted`))[0].n).toBeGreaterThan(0);
    const drop = dropModel(dropping, dropped.model).then(() => 'dropped', (error: Error) => error.message);
    await expect.poll(() => waitsForLock(watching, droppingPid), { timeout: 10_000 }).toBe(true);
    const close = session.close().then(() => 'closed', (error: Error) => error.message);
    await expect.poll(() => waitsForLock(watching, closingPid), { timeout: 10_000 }).toBe(true);
    release();
    await reading;
    expect(await Promise.all([drop, close])).toEqual(['dropped', 'closed']);
    const [left] = await closing.query<{ n: number }>('SELECT count(*)::int AS n FROM gpt2sql.sessions WHERE session = $1', [session.id]);
    expect(left.n).toBe(0);
    const [schema] = await closing.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [dropped.model.schema_name]);
    expect(schema.n).toBe(0);
  });
});
