-- linear: x @ w + b for every position. w is stored one output column per row (w.col), so each
-- output value is one dot product of a stored row with a position's activation, computed by the
-- model's kernel. Used by attn (c_attn, c_proj) and mlp (c_fc, c_proj).
-- Each stored row read computes its products with W positions in the columns of one output row
-- (y1 … yW, the lanes): nothing is made per stored row and position. The positions' activations
-- are prepared once, in the kernel's type, into one array per lane (lane i of group g is the
-- position numbered W·(g − 1) + i − 1). With at most W positions there is one group, each lane's
-- activation a value PostgreSQL computes before the scan and hands to the parallel workers that
-- share it (each product is computed whole in one process, so any number of workers gives the
-- same values). With more, the matrix is read once for each group of W (lanes.g), in one
-- process, with the group's activations taken out of the lanes before its scan. Each lane's
-- products are aggregated in column order, the order in which the primary key (block, col,
-- part) reads the rows: nothing is sorted. The vector kernel's c_attn counts its values'
-- components below 1e-20 as 0 as they are aggregated (sql/README.md, Numerics).
-- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part 0, values) and
-- b (block, values) of the layer; the block.
-- [T, n_in] -> [T, n_out]
--
-- In psql, on a model of the array kernel (its schema on the search_path), for one position:
--   WITH ln1 (t, x) AS (SELECT 0, ARRAY(SELECT random() FROM generate_series(1, 768))) SELECT *
--   FROM (this, {{input}} = ln1, {{prepare}} = input.x, {{width}} = 1, {{groups}} = (VALUES (1)),
--   {{lanes}} = array_agg(ROW(position.t, 0, position.x)::position_activation) AS lane_1,
--   {{group_values}} = (lane_1[1]).t AS t1, {{products}} = gpt2sql.dot(w.values, (SELECT
--   (lane_1[1]).x FROM activation)) + (SELECT b FROM bias)[w.col + 1] AS y1, {{columns}} =
--   array_agg(by_column.y1) AS x1, {{positions}} = (lane.t1, columns.x1), {{weight}} = c_attn_w,
--   {{bias}} = c_attn_b, {{block}} = 0) AS qkv;
WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
  SELECT (count(*)::int + {{width}} - 1) / {{width}} AS groups,
         {{lanes}}
  FROM (SELECT input.t, {{prepare}} AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
        FROM {{input}} AS input) AS position
),
bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
  SELECT values::float8[] AS b
  FROM {{bias}}
  WHERE block = {{block}}
)
SELECT position.t, position.x      -- for each group of W positions, one after another:
FROM {{groups}} AS lanes (g)
CROSS JOIN LATERAL (               -- the group's positions and activations, taken out of the lanes once
  SELECT
    {{group_values}}
  FROM activation
  OFFSET 0                         -- computed once a group, not again for every row read
) AS lane
CROSS JOIN LATERAL (
  SELECT                           -- each lane's output vector: its products in column order
    {{columns}}
  FROM (
    SELECT w.col,                  -- [n_out, W]: each stored row's products with the group's positions, in one row
           {{products}}
    FROM {{weight}} AS w
    WHERE w.block = {{block}}
    ORDER BY w.col                 -- the primary key's order, read in it (no sort)
    OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
  ) AS by_column
) AS columns
CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
  {{positions}}
) AS position (t, x)
{{filled}}
