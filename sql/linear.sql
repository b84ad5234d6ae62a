-- linear: x @ w + b for every position. w is stored one output column per row (w.col), so each
-- output value is one dot product of a stored row with a position's activation, computed by the
-- model's kernel. Used by attn (c_attn, c_proj) and mlp (c_fc, c_proj).
-- Every position's activation is prepared once, in the kernel's type, into one array of
-- position_activation, and the bias is read once: both are values PostgreSQL computes before the
-- scan of the stored rows and hands to the parallel workers that share the scan (each row's dot
-- products are computed in one process, so any number of workers gives the same values).
-- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part 0, values) and
-- b (block, values) of the layer; the block.
-- [T, n_in] -> [T, n_out]
--
-- In psql, on a model of the array kernel (its schema on the search_path):
--   WITH ln1 (t, x) AS (SELECT 0, ARRAY(SELECT random() FROM generate_series(1, 768))) SELECT *
--   FROM (this, {{input}} = ln1, {{prepare}} = input.x, {{weight}} = c_attn_w, {{bias}} = c_attn_b,
--   {{block}} = 0, {{dot}} = gpt2sql.dot(w.values, position.x)) AS qkv;
WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
  SELECT array_agg(ROW(input.t, 0, {{prepare}})::position_activation ORDER BY input.t) AS x
  FROM {{input}} AS input
),
bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
  SELECT values::float8[] AS b
  FROM {{bias}}
  WHERE block = {{block}}
)
SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
FROM (
  SELECT position.t, w.col,
         {{dot}}
         + (SELECT b FROM bias)[w.col + 1] AS y
  FROM {{weight}} AS w
  -- Each stored row against every position. The CASE makes the positions depend on the row, so
  -- the planner reads each stored row once, instead of copying the rows aside to read them again
  -- for each position.
  CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
  WHERE w.block = {{block}}
  OFFSET 0  -- a subquery of its own: the dot products are computed where the rows are read (in the
            -- workers), not after the sort by position, which would carry every stored row along
) AS product
GROUP BY product.t
