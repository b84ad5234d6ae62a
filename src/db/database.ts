import type { Kysely } from 'kysely';
import type { CatalogTables, ModelTables } from './catalog-tables.ts';

/** A row as the database returns it: column name -> value. */
export type Row = Record<string, unknown>;

/**
 * The one database interface of gpt2sql. Two drivers implement it: embedded PGlite and a
 * PostgreSQL server through `pg`. Nothing above `src/db/` knows which one is in use.
 *
 * A Database is a single connection: statements run one at a time, in order, and session
 * settings (search_path) stay in force until changed.
 *
 * @example
 * const db = await openDatabase({ db: 'postgres://postgres@127.0.0.1:5432/test' });
 * const rows = await db.query<{ n: number }>('SELECT $1::int AS n', [42]);
 * await db.close();
 */
export interface Database {
  /** Where the data lives, for messages: a directory or a URL without its password. */
  readonly location: string;
  /** How psql reaches this database, as a line to show the user (a server's URL is without its password). */
  readonly psqlHint: string;
  /** Kysely over the same connection, for short typed glue queries on the catalog. */
  readonly kysely: Kysely<CatalogTables & ModelTables>;
  /** Runs one statement with bind parameters ($1, $2, …) and returns its rows. */
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements without parameters. */
  exec(script: string): Promise<void>;
  /**
   * Fills `table` with COPY … FROM in PostgreSQL's binary format. `tuples` yields encoded
   * tuples (see copy-binary.ts); the driver adds the header and trailer. `freeze`: COPY FREEZE,
   * rows written already frozen, so that the first reads neither set hint bits nor write the
   * pages again; only for a table created in the current transaction.
   */
  copyBinary(table: string, columns: readonly string[], tuples: AsyncIterable<Uint8Array>, options?: CopyOptions): Promise<void>;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Which extensions this database has or this user can create in it (a superuser any the server offers, others the trusted ones). */
  availableExtensions(): Promise<Set<string>>;
  /**
   * How many parallel workers the database lets a statement have (a server's settings), or null
   * for a database of one process (the embedded one), which has none.
   */
  parallelLimits(): Promise<ParallelLimits | null>;
  /**
   * A server's shared_buffers, in bytes: what it keeps of its tables in its own memory. Null for
   * the embedded database, which sizes its buffers to what its directory holds when it opens
   * (pglite-driver.ts).
   */
  sharedBuffers(): Promise<number | null>;
  /**
   * Exposes the database to other programs (psql) over PostgreSQL's wire protocol on
   * 127.0.0.1. Only the embedded database can; a server refuses with a message.
   */
  serve(port: number): Promise<WireServer>;
  close(): Promise<void>;
}

/**
 * The shared_buffers that keep tables of `total` bytes, the largest `largest`, in memory between
 * reads: all of them with a tenth to spare, and four times the largest, since PostgreSQL reads a
 * table larger than a quarter of its buffers through a small ring of buffers of its own (a "bulk
 * read") whatever else is free. The embedded database sizes its buffers by it (pglite-driver.ts);
 * a server is told when its own fall short (src/engine/buffers.ts). Any unit, the same for all.
 *
 * @example
 * bufferNeed(647, 196); // 823.2: GPT-2 124M with pgvector, in MB
 */
export function bufferNeed(total: number, largest: number): number {
  return Math.max(total * 1.1, largest * 4.2);
}

/** A server's limits on parallel workers (postgresql.conf). */
export interface ParallelLimits {
  /** max_parallel_workers_per_gather: the workers one scan may have unless a session asks for more. */
  perGather: number;
  /** max_parallel_workers: the workers the whole server may run at once. */
  total: number;
  /** max_worker_processes: background processes of every kind (max_parallel_workers is within it; changing it needs a restart). */
  processes: number;
  /** The server's CPUs where known (a server on this machine), else null: SQL cannot tell them. */
  cores: number | null;
}

export interface CopyOptions {
  freeze?: boolean;
}

/** The COPY statement both drivers send, from `source` (STDIN or PGlite's /dev/blob). */
export function copyStatement(table: string, columns: readonly string[], source: string, { freeze = false }: CopyOptions = {}): string {
  return `COPY ${table} (${columns.join(', ')}) FROM ${source} WITH (FORMAT binary${freeze ? ', FREEZE' : ''})`;
}

/** The port an embedded database is served on unless told otherwise. */
export const SERVE_PORT = 5433;

/** A running wire-protocol endpoint. */
export interface WireServer {
  host: string;
  port: number;
  /** The psql command line that connects to it. */
  psql: string;
  stop(): Promise<void>;
}

/** What each driver provides; the shared parts (Kysely, transactions) are built on top. */
export interface Connection {
  readonly location: string;
  readonly psqlHint: string;
  /** Whether the database runs parallel workers (a server) or is one process (PGlite). */
  readonly parallel: boolean;
  /** The CPUs a server shares with this process when it runs on this machine (loopback or socket); null when it is elsewhere. */
  readonly localCores: number | null;
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  exec(script: string): Promise<void>;
  copyBinary(table: string, columns: readonly string[], tuples: AsyncIterable<Uint8Array>, options?: CopyOptions): Promise<void>;
  serve(port: number): Promise<WireServer>;
  close(): Promise<void>;
}
