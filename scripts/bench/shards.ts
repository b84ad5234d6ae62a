// The shards table of scripts/bench.ts: GPT-2 with the cube kernel on one server, and on a
// coordinator (a database on the same server) whose weight matrices are on N shards, local
// clusters made for the run (clusters.ts). Each in a fresh database, dropped at the end.
import type { Checkpoint } from '../../src/checkpoint/types.ts';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { workersOption } from '../../src/engine/workers.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { createClusters, removeClusters, serverSettings, type Cluster } from './clusters.ts';
import { modelBytes, timeGeneration, timeLoad, timePrefill } from './measure.ts';

/**
 * The settings each shard takes from the server's configuration, so that one server and N shards
 * differ only in number (the coordinator's connections to its shards turn jit off, as gpt2sql's
 * own connections do: src/load/shards.ts).
 */
const MIRRORED = [
  'shared_buffers', 'effective_cache_size', 'work_mem', 'maintenance_work_mem', 'max_wal_size', 'autovacuum', 'fsync',
  'synchronous_commit', 'jit', 'max_worker_processes', 'max_parallel_workers', 'max_parallel_workers_per_gather',
];
const KERNEL = 'cube';

export interface ShardsOptions {
  /** The server: the one-server database and the coordinator are made on it. */
  server: string;
  shards: number;
  /** Prompt length, and new tokens after it. */
  tokens: number;
  log(text: string): void;
}

export interface ShardsRow {
  configuration: string;
  workers: number;
  load: number;
  /** The model's bytes on each server: the coordinator (or the one server) first, then each shard. */
  bytes: number[];
  prefill: number;
  perToken: number;
  total: number;
}

/**
 * The rows, one server and coordinator + shards, each without parallel workers and with the
 * server's default (on a sharded model they serve only the coordinator's own statements: the
 * shards run their sums in their own processes), and the settings the shards took from the server.
 */
export async function benchShards(checkpoint: Checkpoint, options: ShardsOptions): Promise<{ rows: ShardsRow[]; settings: Record<string, string> }> {
  const admin = await openDatabase({ db: options.server, migrate: false });
  try {
    if (!(await admin.availableExtensions()).has(KERNEL)) throw new Error(`${admin.location} has no ${KERNEL} extension, which the shards table uses; install postgresql-contrib`);
    const settings = await serverSettings(options.server, MIRRORED);
    const single = await inFreshDatabase(admin, options.server, 'gpt2sql_bench_single', (db) => measure(db, checkpoint, '1 server', [], options));
    const clusters = await createClusters(options.shards, options.log, settings);
    try {
      const configuration = `coordinator + ${clusters.length} shards`;
      const sharded = await inFreshDatabase(admin, options.server, 'gpt2sql_bench_coordinator', (db) => measure(db, checkpoint, configuration, clusters, options));
      return { rows: [...single, ...sharded], settings };
    } finally {
      await removeClusters(clusters);
    }
  } finally {
    await admin.close();
  }
}

/** Load, then prefill and generation without workers and with the database's default, as the single table measures them. */
async function measure(db: Database, checkpoint: Checkpoint, configuration: string, shards: Cluster[], { tokens, log }: ShardsOptions): Promise<ShardsRow[]> {
  log(`${configuration}: loading`);
  const urls = shards.length ? shards.map((shard) => shard.url) : undefined;
  const { model, seconds: load } = await timeLoad(db, checkpoint, `bench_${KERNEL}`, KERNEL, urls);
  const bytes = [Number(await modelBytes(db, model)), ...(await Promise.all(shards.map((shard) => databaseBytes(shard.url))))];
  const empty = shards.filter((_, i) => bytes[i + 1] === 0).map((shard) => shard.name);
  if (empty.length) throw new Error(`the sharded load left ${empty.join(', ')} without a table; does loadModel put the weights on its shards yet?`);
  const rows: ShardsRow[] = [];
  for (const workers of [...new Set([0, (await workersOption(db)).count])]) {
    log(`${configuration}: prefill ${tokens} + ${tokens} tokens, ${workers} workers`);
    const prefill = await timePrefill(db, model, tokens, 'incremental', workers);
    const generation = await timeGeneration(db, model, tokens, tokens, 'incremental', workers);
    rows.push({ configuration, workers, load: rows.length ? NaN : load, bytes: rows.length ? [] : bytes, prefill, perToken: generation.perToken, total: generation.total });
  }
  return rows;
}

/** Runs `fn` on a new empty database `name` of the server (one left by a killed run is dropped first), dropped after. */
async function inFreshDatabase<T>(admin: Database, server: string, name: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const database = quoteIdent(name);
  // One statement each: neither runs inside a transaction block, which a script of several is.
  await admin.exec(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.exec(`CREATE DATABASE ${database}`);
  try {
    const url = new URL(server);
    url.pathname = `/${name}`;
    const db = await openDatabase({ db: url.href });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  } finally {
    await admin.exec(`DROP DATABASE ${database} WITH (FORCE)`);
  }
}

/** Bytes of every table outside the system schemas (indexes and TOAST included): a shard's part of the model. */
async function databaseBytes(url: string): Promise<number> {
  const db = await openDatabase({ db: url, migrate: false });
  try {
    const [row] = await db.query<{ bytes: number }>(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::int8 AS bytes
       FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'm') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'`);
    return Number(row.bytes);
  } finally {
    await db.close();
  }
}
