-- logits_sharded: lnf @ lm_headᵀ on a sharded model (load --shards), as logits.sql computes it:
-- lm_head (wte when the head is tied) is partitioned by token into ranges on the shards. For
-- each position, the subquery product is what every shard runs on its own rows: one dot product
-- per token, by the kernel's arithmetic for shards: the sum of the token's row and of its empty
-- row, whose NULL the sum skips (see shardedKeyColumns in src/load/weight-tables.ts), the shape
-- postgres_fdw sends to a shard whole (see linear_sharded.sql); the activation travels as a
-- float8[] parameter and only (token, logit) rows come back, which become each position's
-- float8[V] in token order and its largest, as logits.sql gives them.
-- Inputs: lnf (t, x float8[C]); lm_head.
-- [T, C] -> [T, V]: (t, logit float8[V], max_logit)
--
-- In psql: `gpt2sql sql next` on a sharded model prints it filled in; EXPLAIN VERBOSE of that
-- statement shows each shard's remote SQL.
WITH activation AS MATERIALIZED (  -- each position's activation, and what the kernel's dot product takes besides it
  SELECT lnf.t, lnf.x, {{norms}} AS norms
  FROM lnf
)
SELECT position.t, array_agg(product.logit ORDER BY product.token) AS logit, max(product.logit) AS max_logit
FROM activation AS position
CROSS JOIN LATERAL (              -- on every shard, for this position: one sum per token
  SELECT lm_head.token,
         sum({{dot}} ORDER BY lm_head.part) AS logit
  FROM lm_head
  GROUP BY lm_head.token
) AS product
GROUP BY position.t
