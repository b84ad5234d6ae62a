import { AsyncLocalStorage } from 'node:async_hooks';
import type { Connection, Database } from './database.ts';
import { namingShard } from './shard-errors.ts';
import { resolveTarget, type Target } from './target.ts';

export interface OpenOptions {
  /** `--db`: a directory or a postgres:// URL; defaults come from the environment. */
  db?: string;
  /** Skip migrations (only for tools that inspect a database as it is). */
  migrate?: boolean;
  /**
   * Whether the caller computes with the weights (default true). False (tokenize, detokenize,
   * models, drop) lets PGlite start with small buffers, much faster on a large model.
   */
  readsWeights?: boolean;
}

/**
 * Opens the database named by `--db` (or the environment), applies pending migrations and
 * checks the format version.
 *
 * @example
 * const db = await openDatabase({ db: '/tmp/gpt2sql-data' });
 */
export async function openDatabase(options: OpenOptions = {}): Promise<Database> {
  const target = resolveTarget(options.db);
  // Each driver, Kysely and the migrations are imported when a database is opened, and only the
  // driver it uses: `gpt2sql --help` loads none of them, a PGlite command never loads pg.
  const [connection, { kyselyOver }] = await Promise.all([connect(target, options.readsWeights ?? true), import('./kysely-dialect.ts')]);
  const database = wrap(connection, kyselyOver);
  if (options.migrate !== false) {
    try {
      const { migrateToLatest } = await import('./migrate.ts');
      await migrateToLatest(database);
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  return database;
}

async function connect(target: Target, readsWeights: boolean): Promise<Connection> {
  if (target.driver === 'pglite') return (await import('./pglite-driver.ts')).openPglite(target.dir, { readsWeights });
  return (await import('./postgres-driver.ts')).openPostgres(target.url);
}

/**
 * Adds what both drivers share: Kysely, transactions, extension discovery, and turns. A Database
 * is one connection used by callers that may run at the same time (the HTTP server's requests,
 * the scheduler's steps): each statement, and each transaction as a whole, takes its turn, so a
 * statement of another caller never lands inside someone's transaction. Statements sent from
 * inside a transaction (its async context) run in it without waiting.
 */
function wrap(connection: Connection, kyselyOver: typeof import('./kysely-dialect.ts').kyselyOver): Database {
  const turns = new Turns();
  /** Runs a statement in its turn; outside a transaction, an error a shard caused comes back naming it (namingShard). */
  const statement = <T>(run: () => Promise<T>) => turns.take(async () => {
    try {
      return await run();
    } catch (error) {
      throw turns.depth > 0 ? error : await namingShard(connection, error);
    }
  });
  const query: Connection['query'] = (sql, params) => statement(() => connection.query(sql, params));
  return {
    location: connection.location,
    psqlHint: connection.psqlHint,
    kysely: kyselyOver({ ...connection, query }),
    query,
    exec: (script) => statement(() => connection.exec(script)),
    copyBinary: (table, columns, tuples, options) => turns.take(() => connection.copyBinary(table, columns, tuples, options)),
    transaction: (fn) => turns.take(async () => {
      if (turns.depth > 0) return fn(); // nested calls join the outer transaction
      turns.depth++;
      await connection.exec('BEGIN');
      try {
        const result = await fn();
        await connection.exec('COMMIT');
        return result;
      } catch (error) {
        await connection.exec('ROLLBACK').catch(() => {});
        throw await namingShard(connection, error);
      } finally {
        turns.depth--;
      }
    }),
    async availableExtensions() {
      // Installed in this database, or installable by this user: a superuser can create any
      // extension the server has, others only a trusted one (cube is, pgvector is not) in a
      // database where they may create schemas.
      const rows = await connection.query<{ name: string }>(`
        SELECT available.name
        FROM pg_available_extensions AS available
        JOIN pg_available_extension_versions AS version
          ON version.name = available.name AND version.version = available.default_version
        WHERE available.installed_version IS NOT NULL
           OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
           OR (version.trusted AND has_database_privilege(current_database(), 'CREATE'))`);
      return new Set(rows.map((row) => row.name));
    },
    async parallelLimits() {
      if (!connection.parallel) return null;
      const [row] = await connection.query<{ per_gather: number; total: number; processes: number }>(
        `SELECT current_setting('max_parallel_workers_per_gather')::int AS per_gather,
                current_setting('max_parallel_workers')::int AS total,
                current_setting('max_worker_processes')::int AS processes`);
      return { perGather: row.per_gather, total: row.total, processes: row.processes, cores: connection.localCores };
    },
    async sharedBuffers() {
      if (!connection.parallel) return null; // the embedded database sizes its own as it opens
      const [row] = await connection.query<{ bytes: string | number }>(`SELECT pg_size_bytes(current_setting('shared_buffers')) AS bytes`);
      return Number(row.bytes);
    },
    serve: (port) => connection.serve(port),
    close: () => connection.close(),
  };
}

/** One caller at a time on a connection; a caller's own async context goes on without waiting. */
class Turns {
  /** Transactions open in the current turn (0 or 1; nested ones join). */
  depth = 0;
  private readonly holder = new AsyncLocalStorage<true>();
  private last: Promise<unknown> = Promise.resolve();

  take<T>(fn: () => Promise<T>): Promise<T> {
    if (this.holder.getStore()) return fn();
    const turn = this.last.then(() => this.holder.run(true, fn));
    this.last = turn.catch(() => {});
    return turn;
  }
}
