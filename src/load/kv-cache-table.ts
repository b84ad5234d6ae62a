import type { ModelRow } from '../db/catalog-tables.ts';
import { cachedHeads, kernel as kernelNamed } from '../sql/kernels/index.ts';
import { quoteIdent } from '../sql/quote.ts';

/**
 * CREATE TABLE for a model's keys/values cache, `kv_cache` in the model's schema: one row per
 * session, block, place and head (HS values each: rows stay inline in their page). UNLOGGED: a
 * cache that a crash may lose (PostgreSQL empties unlogged tables after one) is written without
 * the write-ahead log. Its rows belong to a generation session and go with it (ON DELETE CASCADE),
 * also when a later session removes the leftovers of a killed process; the table goes with the
 * model's schema.
 */
export function kvCacheTableSql(schema: string, model: Pick<ModelRow, 'kernel' | 'n_embd' | 'n_head'>): string {
  const { k, v } = cachedHeads(kernelNamed(model.kernel), model.n_embd / model.n_head);
  return `CREATE UNLOGGED TABLE ${quoteIdent(schema)}.kv_cache (
  session bigint  NOT NULL REFERENCES gpt2sql.sessions ON DELETE CASCADE,
  block   integer NOT NULL,
  place   integer NOT NULL,
  head    integer NOT NULL,
  k       ${k.type} NOT NULL,
  v       ${v.type} NOT NULL,
  PRIMARY KEY (session, block, place, head)
)`;
}
