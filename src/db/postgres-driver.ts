import { availableParallelism } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { GptSqlError } from '../errors.ts';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER } from './copy-binary.ts';
import { copyStatement, type Connection, type Row } from './database.ts';
import { TYPE_PARSERS } from './type-parsers.ts';

const types = {
  getTypeParser(oid: number, format?: string) {
    const parser = TYPE_PARSERS[oid];
    if (parser && format !== 'binary') return parser;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** A URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** What to do when connecting fails, by Node's error code or PostgreSQL's SQLSTATE. */
const CONNECT_ADVICE: Record<string, string> = {
  ECONNREFUSED: 'start the server, or fix the host and port in --db or DATABASE_URL',
  ENOTFOUND: 'fix the host name in --db or DATABASE_URL',
  EAI_AGAIN: 'fix the host name in --db or DATABASE_URL, or check your network',
  ETIMEDOUT: 'check the host, the port and any firewall between here and the server',
  '28P01': 'fix the user name and password in --db or DATABASE_URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)',
  '28000': 'use a user the server knows and lets in, in --db or DATABASE_URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)',
  '3D000': 'create the database first (createdb NAME), or fix its name in --db or DATABASE_URL',
};

function connectError(url: URL, error: unknown): GptSqlError {
  const where = `${url.hostname || 'localhost'}:${url.port || 5432}`;
  const database = decodeURIComponent(url.pathname.slice(1));
  const code = (error as { code?: string }).code ?? '';
  const reason = (error as Error).message || code || String(error);
  const advice = (CONNECT_ADVICE[code] ?? 'check that the server is running and that the URL in --db or DATABASE_URL is right')
    .replace('NAME', database || 'NAME');
  return new GptSqlError(`cannot connect to PostgreSQL at ${where}${database ? ` (database ${database})` : ''}: ${reason}; ${advice}`);
}

/** The URL parsed, or a message that shows its expected form (never the URL itself: it may hold a password). */
function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new GptSqlError('the --db URL is not a valid PostgreSQL URL; write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE');
  }
}

/** Whether the URL's server runs on this machine: a loopback address or a Unix socket (no host, or a path). */
function onThisMachine(url: URL): boolean {
  const host = decodeURIComponent(url.hostname).replace(/^\[|\]$/g, '');
  const socket = url.searchParams.get('host');
  if (socket) return socket.startsWith('/');
  return host === '' || host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Connects to a PostgreSQL server through `pg`. */
export async function openPostgres(url: string): Promise<Connection> {
  const parsed = parseUrl(url);
  // JIT off: the planner's cost estimates for recursive CTEs (the forward pass, BPE) are far above
  // jit_above_cost, and compiling them takes longer than running them.
  const client = new pg.Client({ connectionString: url, types, options: '-c jit=off' });
  client.on('error', () => {}); // a dropped connection surfaces on the next query instead
  try {
    await client.connect();
  } catch (error) {
    throw connectError(parsed, error);
  }
  return {
    location: redactUrl(url),
    parallel: true,
    localCores: onThisMachine(parsed) ? availableParallelism() : null,
    psqlHint: `psql ${redactUrl(url)}`,
    async query<R = Row>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query(sql, [...params]);
      return result.rows as R[];
    },
    async exec(script: string) {
      await client.query(script);
    },
    async copyBinary(table, columns, tuples, options) {
      const statement = copyStatement(table, columns, 'STDIN', options);
      const sink = client.query(copyFrom(statement));
      await pipeline(Readable.from(framed(tuples)), sink);
    },
    async serve() {
      throw new GptSqlError(`${redactUrl(url)} is already a PostgreSQL server: connect to it directly, e.g. psql '${redactUrl(url)}'`);
    },
    async close() {
      await client.end();
    },
  };
}

/** Bytes per CopyData message: one message per tuple would cost a write per row. */
const CHUNK_BYTES = 1024 * 1024;

/** The COPY stream: header, tuples coalesced into chunks of about CHUNK_BYTES, trailer. */
async function* framed(tuples: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let pending: Uint8Array[] = [COPY_BINARY_HEADER];
  let size = COPY_BINARY_HEADER.length;
  for await (const tuple of tuples) {
    pending.push(tuple);
    size += tuple.length;
    if (size >= CHUNK_BYTES) {
      yield Buffer.concat(pending);
      pending = [];
      size = 0;
    }
  }
  pending.push(COPY_BINARY_TRAILER);
  yield Buffer.concat(pending);
}
