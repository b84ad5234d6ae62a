import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import type { Connection } from './database.ts';

/** A Kysely dialect that sends every query through one of our connections (PGlite or pg). */
function connectionDialect(connection: Connection): Dialect {
  const databaseConnection: DatabaseConnection = {
    async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
      const rows = await connection.query<R>(compiled.sql, compiled.parameters);
      return { rows };
    },
    // eslint-disable-next-line require-yield
    async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
      throw new Error('streaming is not supported by the gpt2sql Kysely dialect');
    },
  };
  const driver: Driver = {
    async init() {},
    async acquireConnection() {
      return databaseConnection;
    },
    async beginTransaction(conn) {
      await conn.executeQuery(CompiledQuery.raw('BEGIN'));
    },
    async commitTransaction(conn) {
      await conn.executeQuery(CompiledQuery.raw('COMMIT'));
    },
    async rollbackTransaction(conn) {
      await conn.executeQuery(CompiledQuery.raw('ROLLBACK'));
    },
    async releaseConnection() {},
    async destroy() {},
  };
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => driver,
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}

/** Kysely over `connection`; closing it does not close the connection. */
export function kyselyOver<T>(connection: Connection): Kysely<T> {
  return new Kysely<T>({ dialect: connectionDialect(connection) });
}
