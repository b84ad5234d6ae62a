/**
 * Databases for the sharded-model tests on the server of TEST_DATABASE_URL: a coordinator and
 * shards, each a database of its own on that server (postgres_fdw reaches another database of the
 * same cluster as it reaches another machine). The shards belong to a role of their own with a
 * password, which the tests give in the shard URLs and look for where it must never appear.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { quoteIdent, quoteLiteral } from '../../src/sql/quote.ts';

export interface ShardDatabases {
  /** The coordinator's URL (--db). */
  coordinator: string;
  /** The shards' URLs, with the role's user name and password (--shards). */
  shards: string[];
  /** The shards' role's password. */
  password: string;
  /** The shards' database names, in order. */
  names: string[];
  /** Takes shard `k` down: no new connections, and every open one (postgres_fdw's too) cut. Synchronous: usable in a callback. */
  down(k: number): void;
  /** Lets shard `k` take connections again. */
  up(k: number): void;
  /** Schemas of shard `k` whose names start with `prefix`. */
  schemasOn(k: number, prefix: string): Promise<string[]>;
  /** Drops the databases and the role. */
  remove(): Promise<void>;
}

/**
 * Creates a coordinator and `count` shard databases on the server of `url`, named after this
 * process, and the shards' role.
 *
 * @example
 * const dbs = await createShardDatabases(process.env.TEST_DATABASE_URL!, 2);
 * await loadModel(await openDatabase({ db: dbs.coordinator }), checkpoint, { name, source, shards: dbs.shards });
 */
export async function createShardDatabases(url: string, count: number): Promise<ShardDatabases> {
  const prefix = `gpt2sql_shards_${process.pid}_${randomBytes(3).toString('hex')}`;
  const role = `${prefix}_owner`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const names = Array.from({ length: count }, (_, k) => `${prefix}_${String.fromCharCode(97 + k)}`);
  const coordinatorName = `${prefix}_coordinator`;
  const admin = await openDatabase({ db: url, migrate: false });
  const at = (database: string, user = '') => {
    const parsed = new URL(url);
    parsed.pathname = `/${database}`;
    if (user) {
      parsed.username = user;
      parsed.password = password;
    }
    return parsed.toString();
  };
  try {
    await admin.exec(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD ${quoteLiteral(password)}`);
    await admin.exec(`CREATE DATABASE ${quoteIdent(coordinatorName)}`);
    for (const name of names) await admin.exec(`CREATE DATABASE ${quoteIdent(name)} OWNER ${quoteIdent(role)}`);
  } finally {
    await admin.close();
  }
  const adminSql = (script: string) => {
    const run = spawnSync('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', script], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`psql failed: ${run.stderr}`);
  };
  return {
    coordinator: at(coordinatorName),
    shards: names.map((name) => at(name, role)),
    password,
    names,
    down(k) {
      adminSql(`ALTER DATABASE ${quoteIdent(names[k])} ALLOW_CONNECTIONS false`);
      adminSql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(names[k])}`);
    },
    up(k) {
      adminSql(`ALTER DATABASE ${quoteIdent(names[k])} ALLOW_CONNECTIONS true`);
    },
    async schemasOn(k, start) {
      const shard = await openDatabase({ db: at(names[k]), migrate: false });
      try {
        const rows = await shard.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY 1', [start]);
        return rows.map((row) => row.nspname);
      } finally {
        await shard.close();
      }
    },
    async remove() {
      const db: Database = await openDatabase({ db: url, migrate: false });
      try {
        for (const name of [coordinatorName, ...names]) await db.exec(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        await db.exec(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
      } finally {
        await db.close();
      }
    },
  };
}
