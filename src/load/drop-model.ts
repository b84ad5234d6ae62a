import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { GptSqlError } from '../errors.ts';
import { quoteIdent } from '../sql/quote.ts';
import { replacedSchema } from '../sql/sharding.ts';
import { openShards, shardError, urlOfOptions, type OpenShard } from './shards.ts';

/**
 * Removes a model: its schema (weights, tokenizer tables, keys/values cache) and its catalog row,
 * in one transaction; a sharded model's schemas on its shards too, and the coordinator's
 * postgres_fdw servers of them (with their user mappings). Every shard is reached first, through
 * its server's options and user mapping: if one cannot be, nothing is dropped anywhere.
 *
 * @example
 * await dropModel(db, await findModel(db, 'distilgpt2'));
 */
export async function dropModel(db: Database, model: Pick<ModelRow, 'name' | 'schema_name'>): Promise<void> {
  const shards = await reachShards(db, model.name);
  try {
    await db.transaction(async () => {
      // The sessions table first: the model's kv_cache references it, and a session closing on
      // another connection locks sessions and then every kv_cache (ON DELETE CASCADE). Dropping
      // the schema locks its kv_cache and then sessions (to remove the foreign key): in that order
      // the two could each wait for the other, and PostgreSQL would abort one as a deadlock.
      await db.exec('LOCK TABLE gpt2sql.sessions IN ACCESS EXCLUSIVE MODE');
      await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(model.schema_name)} CASCADE`);
      for (const shard of shards) await db.exec(`DROP SERVER IF EXISTS ${quoteIdent(shard.serverName)} CASCADE`);
      await db.kysely.deleteFrom('gpt2sql.models').where('name', '=', model.name).execute();
      for (const shard of shards) {
        await shard.db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(shard.remoteSchema)} CASCADE; DROP SCHEMA IF EXISTS ${quoteIdent(replacedSchema(shard.remoteSchema))} CASCADE`)
          .catch((error: unknown) => { throw shardError(shard, error); });
      }
    });
  } finally {
    await Promise.all(shards.map((shard) => shard.db.close().catch(() => {})));
  }
}

/** The URL of each shard of `model`, from its postgres_fdw server's options and the current user's mapping (credentials included, never shown). */
async function reachShards(db: Database, model: string): Promise<OpenShard[]> {
  const rows = await db.query<{ shard: number; location: string; server_name: string; srvoptions: string[] | null; umoptions: string[] | null }>(
    `SELECT shard.shard, shard.location, shard.server_name, server.srvoptions, mapping.umoptions
     FROM gpt2sql.shards AS shard
     LEFT JOIN pg_foreign_server AS server ON server.srvname = shard.server_name
     LEFT JOIN pg_user_mappings AS mapping ON mapping.srvid = server.oid AND mapping.usename IN (current_user, 'public')
     WHERE shard.model = $1
     ORDER BY shard.shard`, [model]);
  if (rows.length === 0) return [];
  const urls = rows.map((row) => {
    if (!row.srvoptions) throw new GptSqlError(`shard ${row.shard} (${row.location}) of ${model} has no postgres_fdw server "${row.server_name}" here any more; load the model again, or drop its schema and catalog rows by hand`);
    return urlOfOptions([...row.srvoptions, ...(row.umoptions ?? [])]);
  });
  const schema = (await db.kysely.selectFrom('gpt2sql.models').select('schema_name').where('name', '=', model).executeTakeFirstOrThrow()).schema_name;
  return openShards(schema, urls).catch((error: Error) => {
    throw new GptSqlError(`${error.message}; ${model} was not dropped (bring the shard back and run drop again)`);
  });
}
