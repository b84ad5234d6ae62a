import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { cube } from '@electric-sql/pglite/contrib/cube';
import { vector } from '@electric-sql/pglite-pgvector';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER } from './copy-binary.ts';
import type { Connection, Row } from './database.ts';
import { acquireDirectoryLock } from './directory-lock.ts';
import { TYPE_PARSERS } from './type-parsers.ts';

/** Bytes of tuples sent per COPY statement: PGlite takes each COPY as one in-memory blob. */
const COPY_BATCH_BYTES = 64 * 1024 * 1024;

/** Opens (creating if needed) an embedded PGlite database in `dir`, with pgvector and cube. */
export async function openPglite(dir: string): Promise<Connection> {
  mkdirSync(dir, { recursive: true });
  const releaseLock = acquireDirectoryLock(dir);
  let pg: PGlite;
  try {
    pg = await PGlite.create(dir, { extensions: { vector, cube }, parsers: TYPE_PARSERS });
  } catch (error) {
    releaseLock();
    throw error;
  }
  return {
    location: dir,
    async query<R = Row>(sql: string, params: readonly unknown[] = []) {
      const result = await pg.query<R>(sql, [...params]);
      return result.rows;
    },
    async exec(script: string) {
      await pg.exec(script);
    },
    async copyBinary(table, columns, tuples) {
      const statement = `COPY ${table} (${columns.join(', ')}) FROM '/dev/blob' WITH (FORMAT binary)`;
      for await (const batch of batches(tuples)) {
        const blob = new Blob([COPY_BINARY_HEADER, ...batch, COPY_BINARY_TRAILER] as BlobPart[]);
        await pg.query(statement, [], { blob });
      }
    },
    async serve(port) {
      const host = '127.0.0.1';
      const server = new PGLiteSocketServer({ db: pg, host, port, maxConnections: 8 });
      await server.start();
      const actual = Number(server.getServerConn().split(':').pop());
      return { host, port: actual, stop: () => server.stop() };
    },
    async close() {
      try {
        await pg.close();
      } finally {
        releaseLock();
      }
    },
  };
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
