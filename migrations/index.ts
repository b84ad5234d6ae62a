import type { Migration } from 'kysely';
import * as catalog from './0001-catalog.ts';
import * as generationSessions from './0002-generation-sessions.ts';
import * as kvCachePerHead from './0003-kv-cache-per-head.ts';
import * as kvCachePerModel from './0004-kv-cache-per-model.ts';
import * as parallelSafeDot from './0005-parallel-safe-dot.ts';
import * as shards from './0006-shards.ts';
import * as arrayCatAgg from './0007-array-cat-agg.ts';

/** Every migration, in order. Add new ones here (static imports work with any loader). */
export const migrations: Record<string, Migration> = {
  '0001-catalog': catalog,
  '0002-generation-sessions': generationSessions,
  '0003-kv-cache-per-head': kvCachePerHead,
  '0004-kv-cache-per-model': kvCachePerModel,
  '0005-parallel-safe-dot': parallelSafeDot,
  '0006-shards': shards,
  '0007-array-cat-agg': arrayCatAgg,
};
