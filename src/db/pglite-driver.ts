import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { cube } from '@electric-sql/pglite/contrib/cube';
import { vector } from '@electric-sql/pglite-pgvector';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER } from './copy-binary.ts';
import { bufferNeed, copyStatement, SERVE_PORT, type Connection, type Row } from './database.ts';
import { GptSqlError } from '../errors.ts';
import { acquireDirectoryLock, LOCK_FILE } from './directory-lock.ts';
import { TYPE_PARSERS } from './type-parsers.ts';

/**
 * Shared buffers sized to the data: a forward pass of GPT-2 124M reads ~500 MB of weights per
 * token, and with PostgreSQL's default 128 MB PGlite rereads them through its file system every
 * step (measured: a forward pass 1.9 s -> 0.78 s with 1 GB). And at least four times the largest
 * table: PostgreSQL reads a table larger than a quarter of its buffers through a small ring of
 * buffers of its own instead (a "bulk read"), so such a table is read from the file system again
 * at every scan however much memory is free (GPT-2 124M's wte, 196 MB, against 785 MB of buffers:
 * 6% of a step's time in read() and 6% in checking the pages' checksums). PGlite touches all of
 * its shared memory when it starts, so a small database keeps the default and small commands
 * stay small.
 */
function sharedBuffersFor(dir: string): string {
  const files = relationFiles(join(dir, 'base'));
  const megabytes = (bytes: number) => bytes / 1024 ** 2;
  const total = megabytes([...files.values()].reduce((sum, bytes) => sum + bytes, 0));
  const largest = megabytes(Math.max(0, ...files.values()));
  return `shared_buffers = ${Math.round(Math.min(1024, Math.max(128, bufferNeed(total, largest))))}MB`;
}

/** Bytes of each relation's main data under `path` (base/DB/FILENODE, FILENODE.1, … summed; _fsm and _vm left out). */
function relationFiles(path: string, sizes = new Map<string, number>()): Map<string, number> {
  if (!existsSync(path)) return sizes;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) relationFiles(child, sizes);
    else {
      const relation = /^(\d+)(\.\d+)?$/.exec(entry.name);
      if (relation) sizes.set(join(path, relation[1]), (sizes.get(join(path, relation[1])) ?? 0) + statSync(child).size);
    }
  }
  return sizes;
}

/**
 * Lets the event loop pass its poll phase, where process signal handlers run. PGlite answers in
 * microtasks without returning to the loop, so a Ctrl-C would otherwise wait unseen until the
 * command ends; after this, a caller sees it in `signal.aborted` between statements. Two
 * immediates: the first may run in the check phase right after the poll that has just passed.
 */
async function turnEventLoop(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

/** `work`'s outcome, once the event loop has turned (see turnEventLoop). */
async function thenTurn<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } finally {
    await turnEventLoop();
  }
}

/** The psql command line that reaches the database served on `host`:`port`. */
function psqlOver(host: string, port: number): string {
  return `psql -h ${host} -p ${port} -U postgres postgres`;
}

/** Bytes of tuples sent per COPY statement: PGlite takes each COPY as one in-memory blob. */
const COPY_BATCH_BYTES = 64 * 1024 * 1024;

/**
 * Opens (creating if needed) an embedded PGlite database in `dir`, with pgvector and cube. JIT is
 * off, as on a server (postgres-driver.ts): PGlite has the setting, on by default.
 */
export async function openPglite(dir: string, { readsWeights = true }: { readsWeights?: boolean } = {}): Promise<Connection> {
  prepareDirectory(dir);
  const releaseLock = acquireDirectoryLock(dir);
  let pg: PGlite;
  try {
    // A command that reads no weights (tokenize, models…) keeps the default buffers: sized to the
    // data, PGlite would touch a gigabyte of memory before the first statement.
    const buffers = readsWeights ? [sharedBuffersFor(dir)] : [];
    pg = await PGlite.create(dir, { extensions: { vector, cube }, parsers: TYPE_PARSERS, postgresqlconf: [...buffers, 'jit = off'] });
  } catch (error) {
    releaseLock();
    throw error;
  }
  return {
    location: dir,
    parallel: false, // one process: PostgreSQL's parallel workers are processes of their own
    localCores: null,
    psqlHint: `gpt2sql serve   # then, in another terminal: ${psqlOver('127.0.0.1', SERVE_PORT)}`,
    async query<R = Row>(sql: string, params: readonly unknown[] = []) {
      const result = await thenTurn(pg.query<R>(sql, [...params]));
      return result.rows;
    },
    async exec(script: string) {
      await thenTurn(pg.exec(script));
    },
    async copyBinary(table, columns, tuples, options) {
      const statement = copyStatement(table, columns, "'/dev/blob'", options);
      for await (const batch of batches(tuples)) {
        const blob = new Blob([COPY_BINARY_HEADER, ...batch, COPY_BINARY_TRAILER] as BlobPart[]);
        await thenTurn(pg.query(statement, [], { blob }));
      }
    },
    async serve(port) {
      const host = '127.0.0.1';
      const server = new PGLiteSocketServer({ db: pg, host, port, maxConnections: 8 });
      await server.start();
      const actual = Number(server.getServerConn().split(':').pop());
      return { host, port: actual, psql: psqlOver(host, actual), stop: () => server.stop() };
    },
    async close() {
      try {
        await thenTurn(pg.close());
      } finally {
        releaseLock();
      }
    },
  };
}

/**
 * Creates the data directory if needed. Refuses a file, and a directory that holds other things
 * than a database (a checkpoint directory given to --db by mistake would get a database spilled into it).
 */
function prepareDirectory(dir: string): void {
  let others: string[];
  try {
    mkdirSync(dir, { recursive: true });
    others = readdirSync(dir).filter((name) => name !== LOCK_FILE);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === 'EEXIST' ? 'it is a file, not a directory'
      : code === 'ENOTDIR' ? 'a part of the path is a file, not a directory'
      : (error as Error).message;
    throw new GptSqlError(`cannot use ${dir} as the database (--db): ${what}; give a directory (new or empty) or a postgres:// URL`);
  }
  if (others.length > 0 && !existsSync(join(dir, 'PG_VERSION'))) {
    throw new GptSqlError(
      `${dir} is not a gpt2sql database and not empty (it holds ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}); ` +
        'give --db a new or empty directory, or the one gpt2sql created before',
    );
  }
}

/** Groups tuples into batches of about COPY_BATCH_BYTES. */
async function* batches(tuples: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array[]> {
  let batch: Uint8Array[] = [];
  let size = 0;
  for await (const tuple of tuples) {
    batch.push(tuple);
    size += tuple.length;
    if (size >= COPY_BATCH_BYTES) {
      yield batch;
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) yield batch;
}
