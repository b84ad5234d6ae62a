import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { GptSqlError } from '../errors.ts';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER } from './copy-binary.ts';
import type { Connection, Row } from './database.ts';
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

function connectError(url: string, error: unknown): GptSqlError {
  const parsed = new URL(url);
  const where = `${parsed.hostname || 'localhost'}:${parsed.port || 5432}`;
  const reason = (error as Error).message;
  return new GptSqlError(
    `cannot connect to PostgreSQL at ${where}${parsed.pathname}: ${reason}; ` +
      'check that the server is running and the URL, user and password in --db or DATABASE_URL are right',
  );
}

/** Connects to a PostgreSQL server through `pg`. */
export async function openPostgres(url: string): Promise<Connection> {
  const client = new pg.Client({ connectionString: url, types });
  client.on('error', () => {}); // a dropped connection surfaces on the next query instead
  try {
    await client.connect();
  } catch (error) {
    throw connectError(url, error);
  }
  return {
    location: redactUrl(url),
    async query<R = Row>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query(sql, [...params]);
      return result.rows as R[];
    },
    async exec(script: string) {
      await client.query(script);
    },
    async copyBinary(table, columns, tuples) {
      const statement = `COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT binary)`;
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

async function* framed(tuples: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield COPY_BINARY_HEADER;
  yield* tuples;
  yield COPY_BINARY_TRAILER;
}
