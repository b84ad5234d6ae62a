import { GptSqlError } from '../errors.ts';
import type { Connection } from './database.ts';

/**
 * A PostgreSQL error that one of a sharded model's shards caused (postgres_fdw could not connect
 * to it, or lost it mid-statement: the error names the shard's server, or its schema in the
 * remote SQL), as one line naming the shard by number, model and host:port/database, after the
 * failed statement's transaction has ended. The shard is found among the error's words by the
 * names the catalog records for it (gpt2sql.shards: server_name, remote_schema), whatever they
 * are; any other error is returned as it is. The line holds no credentials: postgres_fdw's
 * messages name the server, host, port and database only.
 *
 * @example
 * throw await namingShard(connection, error); // gpt2sql: shard 1 of model gpt2 (10.0.0.2:5432/gpt2sql) cannot be reached: …
 */
export async function namingShard(connection: Connection, error: unknown): Promise<unknown> {
  if (error instanceof GptSqlError || !(error instanceof Error)) return error;
  const { detail, where, code } = error as Error & { detail?: string; where?: string; code?: string };
  const words = [...new Set([error.message, detail, where].filter(Boolean).join('\n').match(/\w+/g) ?? [])];
  let found: { model: string; shard: number; location: string } | undefined;
  try {
    [found] = await connection.query<{ model: string; shard: number; location: string }>(
      'SELECT model, shard, location FROM gpt2sql.shards WHERE server_name = ANY ($1) OR remote_schema = ANY ($1) LIMIT 1', [words]);
  } catch {
    return error; // a database without the catalog of shards, or no longer reachable
  }
  if (!found) return error;
  const unreachable = code?.startsWith('08') || /connection|connect/i.test(error.message);
  const reason = [error.message, detail].filter(Boolean).join(': ').replace(/\s*\n\s*/g, ' ');
  return new GptSqlError(
    `shard ${found.shard} of model ${found.model} (${found.location}) ${unreachable ? 'cannot be reached' : 'failed'}: ${reason}; ` +
      'nothing was kept of the command; run it again when the shard is back', { cause: error });
}
