/**
 * How a sharded model (`load --shards`, docs/scaling.md) is named and read, in one place: the
 * names the loader gives its shards' foreign servers, schemas and partitions, and the setting
 * under which the coordinator's statements send each shard its own sums. The database layer knows
 * none of it (it finds a shard in an error by the catalog's gpt2sql.shards alone).
 */

/**
 * A shard's name, `<model schema>__shard_<index>`: its postgres_fdw server on the coordinator and
 * its schema on the shard.
 */
export function shardName(schema: string, index: number): string {
  return `${schema}__shard_${index}`;
}

/** A pattern (POSIX, for `~`) of every shard name of the model whose schema is `schema`. */
export function shardNamePattern(schema: string): string {
  return `^${schema.replace(/[^a-z0-9_]/g, '\\$&')}__shard_[0-9]+$`;
}

/** The foreign table, in the model's schema, of `table`'s rows on the shard `index`: a partition of `table`. */
export function shardPartition(table: string, index: number): string {
  return `${table}__shard_${index}`;
}

/** Where a shard's earlier schema of the model waits while a load switches to the new one (and what drop removes). */
export function replacedSchema(remoteSchema: string): string {
  return `${remoteSchema}__replaced`;
}

/**
 * The setting under which PostgreSQL splits a sum per output column by partition, so that each
 * shard computes its own (sql/linear_sharded.sql); without it every row travels to the
 * coordinator. No other table of gpt2sql is partitioned, so it changes no other plan: the engine
 * sets it for every transaction on a model (`local`), a psql script of a sharded model for its session.
 *
 * @example
 * partitionwiseSql(true); // 'SET LOCAL enable_partitionwise_aggregate = on;'
 */
export function partitionwiseSql(local: boolean): string {
  return `SET ${local ? 'LOCAL ' : ''}enable_partitionwise_aggregate = on;`;
}
