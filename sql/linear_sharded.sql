-- linear_sharded: x @ w + b for every position, on a sharded model (load --shards): w is a
-- partitioned table whose partitions are postgres_fdw foreign tables, each a contiguous range of
-- output columns (w.col) on one shard, a row's parts together. For each position, the subquery
-- product is what every shard runs on its own rows: the dot products with the position's
-- activation, summed per output column (over the row's parts, in part order), by the kernel's
-- arithmetic for shards (ShardedRows in src/sql/kernels/kernel.ts). postgres_fdw sends it to the shards
-- at once (an async append of foreign scans, each with the aggregate in its remote SQL, when
-- enable_partitionwise_aggregate is on), the activation as a float8[] parameter; only (col, y)
-- rows come back. The bias is added here. Summing on the shards or here is the planner's choice
-- by cost: the loader gives it the foreign partitions' row counts (src/load/shard-load.ts), every
-- output column has an empty row besides its parts (NULL: the sum skips it), and a fetched row
-- costs what it does (fdw_tuple_cost), so that the shards' sums cost less than their rows;
-- test/engine/sharded.test.ts checks from the plans that every sum goes to the shards.
-- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part, …) and
-- b (block, values) of the layer; the block.
-- [T, n_in] -> [T, n_out]
--
-- In psql: `gpt2sql sql next` on a sharded model prints it filled in; EXPLAIN VERBOSE of that
-- statement shows each shard's remote SQL.
WITH activation AS MATERIALIZED (  -- each position's activation, and what the kernel's dot product takes besides it
  SELECT input.t, input.x, {{norms}} AS norms
  FROM {{input}} AS input
),
bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
  SELECT values::float8[] AS b
  FROM {{bias}}
  WHERE block = {{block}}
)
SELECT position.t, array_agg(product.y + (SELECT b FROM bias)[product.col + 1] ORDER BY product.col) AS x
FROM activation AS position
CROSS JOIN LATERAL (              -- on every shard, for this position: one sum per output column
  SELECT w.col,
         sum({{dot}} ORDER BY w.part) AS y
  FROM {{weight}} AS w
  WHERE w.block = {{block}}
  GROUP BY w.col
) AS product
GROUP BY position.t
