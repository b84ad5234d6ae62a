import type { ShardsTable } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/open-database.ts';
import { GptSqlError } from '../errors.ts';
import { quoteIdent, quoteLiteral } from '../sql/quote.ts';
import { shardName } from '../sql/sharding.ts';

/**
 * The servers of a sharded model (`gpt2sql load … --shards URL,URL`), seen from the coordinator:
 * each holds a contiguous range of every weight matrix's output columns (tokens, for wte and
 * lm_head) in a schema of its own, which the coordinator reads through a postgres_fdw server of
 * its own, its credentials in the user mapping (taken from the URL, never shown again).
 */
export interface Shard {
  /** 0, 1, …: the order of --shards, which is the order of the key ranges. */
  index: number;
  /** The postgres_fdw server on the coordinator: shardName (src/sql/sharding.ts). */
  serverName: string;
  /** host:port/database: how messages and `gpt2sql models` name the shard. */
  location: string;
  /** The schema on the shard that holds the model's rows: shardName, too. */
  remoteSchema: string;
}

/** A shard being loaded: the connection the loader writes through. */
export interface OpenShard extends Shard {
  db: Database;
  url: URL;
}

/** The extension every coordinator of a sharded model needs. */
export const FDW_EXTENSION = 'postgres_fdw';

/** The shard of a model schema at `index`. */
export function shardOf(schema: string, index: number, url: URL): Shard {
  const name = shardName(schema, index);
  return { index, serverName: name, location: shardLocation(url), remoteSchema: name };
}

/** host:port/database of a shard URL: no user, no password. */
export function shardLocation(url: URL): string {
  return `${url.hostname || 'localhost'}:${url.port || 5432}/${decodeURIComponent(url.pathname.slice(1))}`;
}

/** Parses --shards: postgres:// URLs, at least one, no two the same database. */
export function parseShardUrls(urls: readonly string[]): URL[] {
  if (urls.length === 0) throw new GptSqlError('--shards needs at least one postgres:// URL');
  const parsed = urls.map((url, i) => {
    if (!/^postgres(ql)?:\/\//i.test(url)) throw new GptSqlError(`shard ${i} is not a postgres:// URL; write each shard as postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
    try {
      return new URL(url);
    } catch {
      throw new GptSqlError(`shard ${i} is not a valid URL; write each shard as postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
    }
  });
  const seen = new Map<string, number>();
  for (const [i, url] of parsed.entries()) {
    const where = shardLocation(url);
    if (seen.has(where)) throw new GptSqlError(`shards ${seen.get(where)} and ${i} are the same database (${where}); give each shard its own`);
    seen.set(where, i);
  }
  return parsed;
}

/** Opens every shard (migrations are the coordinator's: a shard holds only rows). */
export async function openShards(schema: string, urls: readonly URL[]): Promise<OpenShard[]> {
  const opened: OpenShard[] = [];
  try {
    for (const [index, url] of urls.entries()) {
      const shard = shardOf(schema, index, url);
      const db = await openDatabase({ db: url.toString(), migrate: false }).catch((error: unknown) => {
        throw shardError(shard, error);
      });
      opened.push({ ...shard, db, url });
    }
    return opened;
  } catch (error) {
    await Promise.all(opened.map((shard) => shard.db.close().catch(() => {})));
    throw error;
  }
}

/**
 * SQL run on the coordinator that makes the postgres_fdw server and user mapping of `shard`:
 * the shards are queried at once (async_capable), a scan fetches its rows in one round trip
 * (fetch_size: a matrix's columns, or a vocabulary's logits), a row fetched costs what it does
 * (fdw_tuple_cost), cube's functions may be sent to the shard (extensions), and the shard's
 * sessions run without JIT (options).
 */
export function foreignServerSql(shard: OpenShard, extension: string | undefined): string {
  const { server: where, mapping } = connectionOptions(shard.url);
  const options: Array<[string, string]> = [
    ...where,
    ['async_capable', 'true'],
    ['fetch_size', '100000'],
    // A stored row is kilobytes: moving it costs far more than the default 0.01 says, and with
    // this the planner prefers the shards' sums (a row per column) to their rows.
    ['fdw_tuple_cost', '1'],
    // As gpt2sql's own connections (postgres-driver.ts): compiling a shard's sums costs more than running them.
    ['options', '-c jit=off'],
    ...(extension ? [['extensions', extension] as [string, string]] : []),
  ];
  const list = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `${k} ${quoteLiteral(v)}`).join(', ');
  const server = quoteIdent(shard.serverName);
  return [
    `CREATE SERVER ${server} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (${list(options)})`,
    `CREATE USER MAPPING FOR CURRENT_USER SERVER ${server}${mapping.length ? ` OPTIONS (${list(mapping)})` : ''}`,
  ].join(';\n');
}

type Options = Array<[string, string]>;

/**
 * A shard URL as postgres_fdw's options: where the server is (host, port, dbname) and who
 * connects (the user mapping's user and password). urlOfOptions reads them back.
 *
 * @example
 * connectionOptions(new URL('postgres://u:p@db:5433/w')); // server: host db, port 5433, dbname w; mapping: user u, password p
 */
export function connectionOptions(url: URL): { server: Options; mapping: Options } {
  const server: Options = [['host', url.hostname || 'localhost'], ['port', url.port || '5432'], ['dbname', decodeURIComponent(url.pathname.slice(1))]];
  const mapping: Options = [];
  if (url.username) mapping.push(['user', decodeURIComponent(url.username)]);
  if (url.password) mapping.push(['password', decodeURIComponent(url.password)]);
  return { server, mapping };
}

/** The URL of a shard from its server's and user mapping's options (`name=value`, as pg_foreign_server and pg_user_mappings list them): connectionOptions read back. */
export function urlOfOptions(options: readonly string[]): URL {
  const found = Object.fromEntries(options.map((option) => {
    const at = option.indexOf('=');
    return [option.slice(0, at), option.slice(at + 1)];
  }));
  const url = new URL('postgres://localhost');
  url.hostname = found.host ?? 'localhost';
  url.port = found.port ?? '5432';
  url.pathname = `/${encodeURIComponent(found.dbname ?? '')}`;
  if (found.user) url.username = encodeURIComponent(found.user);
  if (found.password) url.password = encodeURIComponent(found.password);
  return url;
}

/**
 * The key ranges of `count` keys (columns or tokens) over `shards` shards, contiguous and as
 * even as they can be: [from, to) for each shard, in order.
 *
 * @example
 * keyRanges(2304, 2); // [[0, 1152], [1152, 2304]]
 */
export function keyRanges(count: number, shards: number): Array<[number, number]> {
  return Array.from({ length: shards }, (_, k) => [Math.floor((k * count) / shards), Math.floor(((k + 1) * count) / shards)]);
}

/** An error on `shard`, as one line naming it. */
export function shardError(shard: Shard, error: unknown): GptSqlError {
  const message = (error as Error).message ?? String(error);
  if (error instanceof GptSqlError && message.startsWith(`shard ${shard.index} `)) return error;
  return new GptSqlError(`shard ${shard.index} (${shard.location}): ${message.replace(/\s*\n\s*/g, ' ')}`, { cause: error });
}

/** The catalog rows of a model's shards. */
export function shardRows(model: string, shards: readonly Shard[]): ShardsTable[] {
  return shards.map((shard) => ({
    model, shard: shard.index, server_name: shard.serverName, location: shard.location, remote_schema: shard.remoteSchema,
  }));
}
