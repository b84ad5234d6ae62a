import { GptSqlError } from '../errors.ts';
import type { Connection } from './database.ts';

/** What names a shard in a server's error: its postgres_fdw server or its schema there, `<model schema>__shard_<n>`. */
const SHARD_NAME = /\b([a-z0-9_]+__shard_\d+)\b/;

/**
 * A PostgreSQL error that one of a sharded model's shards caused (postgres_fdw could not connect
 * to it, or lost it mid-statement: the error names the shard's server, or its schema in the
 * remote SQL), as one line naming the shard by number, model and host:port/database, after the
 * failed statement's transaction has ended. Any other error is returned as it is. The line holds
 * no credentials: postgres_fdw's messages name the server, host, port and database only.
 *
 * @example
 * throw await namingShard(connection, error); // gpt2sql: shard 1 of model gpt2 (10.0.0.2:5432/gpt2sql) cannot be reached: …
 */
export async function namingShard(connection: Connection, error: unknown): Promise<unknown> {
  if (error instanceof GptSqlError || !(error instanceof Error)) return error;
  const { detail, where, code } = error as Error & { detail?: string; where?: string; code?: string };
  const name = SHARD_NAME.exec([error.message, detail, where].filter(Boolean).join('\n'))?.[1];
  if (!name) return error;
  let found: { model: string; shard: number; location: string } | undefined;
  try {
    [found] = await connection.query<{ model: string; shard: number; location: string }>(
      'SELECT model, shard, location FROM gpt2sql.shards WHERE server_name = $1 OR remote_schema = $1', [name]);
  } catch {
    return error; // a database without the catalog of shards
  }
  if (!found) return error;
  const unreachable = code?.startsWith('08') || /connection|connect/i.test(error.message);
  const reason = [error.message, detail].filter(Boolean).join(': ').replace(/\s*\n\s*/g, ' ');
  return new GptSqlError(
    `shard ${found.shard} of model ${found.model} (${found.location}) ${unreachable ? 'cannot be reached' : 'failed'}: ${reason}; ` +
      'nothing was kept of the command; run it again when the shard is back', { cause: error });
}
