import type { Database } from '../db/database.ts';
import { GptSqlError } from '../errors.ts';
import { chooseKernel, type Kernel } from '../sql/kernels/index.ts';
import { quoteIdent, quoteLiteral } from '../sql/quote.ts';
import { replacedSchema, shardNamePattern, shardPartition } from '../sql/sharding.ts';
import type { StoredColumn } from './kernel-storage/index.ts';
import { FDW_EXTENSION, foreignServerSql, keyRanges, openShards, parseShardUrls, shardError, type OpenShard, type Shard } from './shards.ts';
import type { WeightTable } from './weight-tables.ts';
import { shardedKeyColumns } from './weight-tables.ts';

/** Copies a table's rows (those whose key is in `range`, or all) into `schema` of `target`, creating the table. */
export type CopyRows = (target: Database, schema: string, range?: [number, number]) => Promise<void>;

/** A weight matrix to put on the shards: its stored columns, how many keys it has, and how its rows are copied. */
export interface ShardedMatrix {
  table: WeightTable;
  stored: StoredColumn[];
  /** Output columns (or tokens): the keys split into ranges. */
  keys: number;
  copy: CopyRows;
}

/**
 * The shards' side of `load --shards`, all or nothing with the coordinator's transaction:
 * - open: connects to every shard (an error names the shard);
 * - begin: a transaction on each shard, with a staging schema;
 * - copyMatrix: a matrix's rows to the shards' staging schemas (each its range, all at once) and,
 *   on the coordinator, its partitioned table of foreign tables;
 * - switchAll, just before the coordinator commits: each shard renames its old schema aside and
 *   the staging one into place, and commits; if one fails, those already switched are put back;
 * - undo (the coordinator failed after the switch) or done (it committed: the old schemas go);
 * - close: rolls back what did not switch, and disconnects.
 *
 * @example
 * const shards = await ShardLoad.open(db, schema, urls);
 * try { await shards.begin(kernel); …; await shards.switchAll(); } catch (e) { await shards.undo(); throw e; } finally { await shards.close(); }
 */
export class ShardLoad {
  private switched: OpenShard[] = [];
  /** The foreign tables made by copyMatrix, attached to their partitioned tables by attachPartitions. */
  private partitions: Array<{ table: string; qualified: string; columns: string[]; bounds: string }> = [];

  private constructor(readonly shards: readonly OpenShard[]) {}

  /** Connects to the shards of `urls` for the model whose schema is `schema`; `db` (the coordinator) must have postgres_fdw. */
  static async open(db: Database, schema: string, urls: readonly string[], available: Set<string>): Promise<ShardLoad> {
    const parsed = parseShardUrls(urls);
    if (!available.has(FDW_EXTENSION)) {
      throw new GptSqlError(`--shards needs a PostgreSQL server with the ${FDW_EXTENSION} extension as the coordinator (--db); ${db.location} has none (the embedded database cannot reach other servers)`);
    }
    return new ShardLoad(await openShards(schema, parsed));
  }

  /** --kernel among those the coordinator (`available`) and every shard have, and that can be sharded. */
  async kernel(requested: string, available: Set<string>): Promise<Kernel> {
    let common = new Set(available);
    for (const shard of this.shards) {
      const theirs = await inShard(shard, () => shard.db.availableExtensions());
      common = new Set([...common].filter((name) => theirs.has(name)));
    }
    return chooseKernel(requested, common, true);
  }

  /** The schema a shard's rows are written into until the switch. */
  staging(shard: Shard): string {
    return `${shard.remoteSchema}__loading_${process.pid}`;
  }

  /** Begins each shard's transaction: the kernel's extension, an empty staging schema. */
  async begin(kernel: Kernel): Promise<void> {
    for (const shard of this.shards) {
      await inShard(shard, () => shard.db.exec(`BEGIN;
        ${kernel.extension ? `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(kernel.extension)} SCHEMA public;` : ''}
        DROP SCHEMA IF EXISTS ${quoteIdent(this.staging(shard))} CASCADE;
        CREATE SCHEMA ${quoteIdent(this.staging(shard))}`));
    }
  }

  /**
   * On the coordinator `db`: the postgres_fdw servers and user mappings of the shards, replacing
   * those of an earlier load of the model (whose foreign tables go with them: the old schema is
   * replaced anyway). With no shards, only the earlier ones go.
   */
  static async replaceForeignServers(db: Database, schema: string, load: ShardLoad | undefined, kernel: Kernel): Promise<void> {
    const shards = load?.shards ?? [];
    if (shards.length) await db.exec(`CREATE EXTENSION IF NOT EXISTS ${FDW_EXTENSION} SCHEMA public`);
    const earlier = await db.query<{ srvname: string }>('SELECT srvname FROM pg_foreign_server WHERE srvname ~ $1', [shardNamePattern(schema)]);
    const names = new Set([...earlier.map((row) => row.srvname), ...shards.map((shard) => shard.serverName)]);
    for (const server of names) await db.exec(`DROP SERVER IF EXISTS ${quoteIdent(server)} CASCADE`);
    for (const shard of shards) await db.exec(foreignServerSql(shard, kernel.extension));
  }

  /**
   * A matrix's rows to the shards, each its contiguous range of keys (then ANALYZEd there), and
   * in `schema` of the coordinator `db` its partitioned table and, for each shard, a foreign table
   * of only the key columns, which attachPartitions completes.
   */
  async copyMatrix(db: Database, schema: string, { table, stored, keys, copy }: ShardedMatrix): Promise<void> {
    const ranges = keyRanges(keys, this.shards.length);
    const key = table.key!;
    if (ranges.some(([from, to]) => from === to)) {
      throw new GptSqlError(`${table.table} has ${keys} ${key === 'col' ? 'output columns' : 'rows'}, fewer than the ${this.shards.length} shards; use fewer shards`);
    }
    await Promise.all(this.shards.map((shard) => inShard(shard, async () => {
      await copy(shard.db, this.staging(shard), ranges[shard.index]);
      await shard.db.exec(`ANALYZE ${quoteIdent(this.staging(shard))}.${quoteIdent(table.table)}`);
    })));
    const keyDefinitions = shardedKeyColumns(table).map((k) => `${quoteIdent(k)} integer NOT NULL`);
    const storedDefinitions = stored.map((c) => `${quoteIdent(c.name)} ${c.type}`); // NULL in a key's empty row (shardedKeyColumns)
    await db.exec(`CREATE TABLE ${quoteIdent(schema)}.${quoteIdent(table.table)} (\n  ${[...keyDefinitions, ...storedDefinitions].join(',\n  ')}\n) PARTITION BY RANGE (${key})`);
    for (const shard of this.shards) {
      const partition = shardPartition(table.table, shard.index);
      await db.exec(`CREATE FOREIGN TABLE ${quoteIdent(schema)}.${quoteIdent(partition)} (${keyDefinitions.join(', ')})
        SERVER ${quoteIdent(shard.serverName)} OPTIONS (schema_name ${quoteLiteral(shard.remoteSchema)}, table_name ${quoteLiteral(table.table)})`);
      this.partitions.push({
        table: table.table, qualified: partition, columns: storedDefinitions,
        bounds: `FOR VALUES FROM (${ranges[shard.index][0]}) TO (${ranges[shard.index][1]})`,
      });
    }
  }

  /**
   * Once the shards have switched (their rows committed, where postgres_fdw sees them): ANALYZEs
   * each foreign table while it has only its key columns, so that postgres_fdw, which reads every
   * row of a foreign table to sample it, reads only their keys; then gives it its stored columns
   * and attaches it to its partitioned table in `schema`. With these statistics (how many rows a
   * block has, how many output columns), the planner sees that a shard's sums send it fewer rows
   * than the rows themselves would: see sql/linear_sharded.sql.
   */
  async attachPartitions(db: Database, schema: string): Promise<void> {
    for (const { table, qualified, columns, bounds } of this.partitions) {
      const partition = `${quoteIdent(schema)}.${quoteIdent(qualified)}`;
      await db.exec(`ANALYZE ${partition};
        ALTER FOREIGN TABLE ${partition} ${columns.map((c) => `ADD COLUMN ${c}`).join(', ')};
        ALTER TABLE ${quoteIdent(schema)}.${quoteIdent(table)} ATTACH PARTITION ${partition} ${bounds}`);
    }
  }

  /** Makes every shard's staging schema the model's and commits, all or none (see the class). */
  async switchAll(): Promise<void> {
    for (const shard of this.shards) {
      try {
        await shard.db.exec(`
          DROP SCHEMA IF EXISTS ${quoteIdent(replaced(shard))} CASCADE;
          CREATE SCHEMA IF NOT EXISTS ${quoteIdent(shard.remoteSchema)};
          ALTER SCHEMA ${quoteIdent(shard.remoteSchema)} RENAME TO ${quoteIdent(replaced(shard))};
          ALTER SCHEMA ${quoteIdent(this.staging(shard))} RENAME TO ${quoteIdent(shard.remoteSchema)};
          COMMIT`);
      } catch (error) {
        await this.undo();
        throw shardError(shard, error);
      }
      this.switched.push(shard);
    }
  }

  /** Puts the shards that switched back as they were. */
  async undo(): Promise<void> {
    for (const shard of this.switched) {
      await shard.db.exec(`BEGIN;
        DROP SCHEMA IF EXISTS ${quoteIdent(shard.remoteSchema)} CASCADE;
        ALTER SCHEMA ${quoteIdent(replaced(shard))} RENAME TO ${quoteIdent(shard.remoteSchema)};
        COMMIT`).catch(() => shard.db.exec('ROLLBACK').catch(() => {}));
    }
    this.switched = [];
  }

  /** After the coordinator's commit: the shards' old schemas go. */
  async done(): Promise<void> {
    for (const shard of this.switched) await shard.db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(replaced(shard))} CASCADE`).catch(() => {});
  }

  /** Rolls back every shard that did not switch, and disconnects. */
  async close(): Promise<void> {
    await Promise.all(this.shards.map(async (shard) => {
      if (!this.switched.includes(shard)) await shard.db.exec('ROLLBACK').catch(() => {});
      await shard.db.close().catch(() => {});
    }));
  }
}

/** Where a shard's earlier schema of the model waits during the switch. */
function replaced(shard: Shard): string {
  return replacedSchema(shard.remoteSchema);
}

/** Runs `fn` on a shard's connection; its errors name the shard. */
async function inShard<T>(shard: Shard, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw shardError(shard, error);
  }
}
