-- linear_shared: linear.sql's x @ w + b for more positions than a stored row meets at once (W,
-- the lanes), in a statement whose scans parallel workers share (src/engine/workers.ts decides).
-- Each stored row is read once, by whichever process reaches it, and meets every group of W
-- positions (lanes.g), one output row per group; each product finds its group's activation in
-- the lanes, arrays PostgreSQL computes before the scan and hands to the workers (each product is
-- computed whole in one process, so any number of workers gives the same values). The products
-- are then sorted by group and column, and put together position by position, in column order,
-- as linear.sql puts them. In one process linear.sql reads the rows once a group instead, which
-- sorts nothing and finds each group's activations once; its values are the same.
-- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part 0, values) and
-- b (block, values) of the layer; the block.
-- [T, n_in] -> [T, n_out]
--
-- In psql: as linear.sql's example, with {{groups}} = generate_series(1, CASE WHEN w.col >= 0 THEN
--   (SELECT groups FROM activation) END), {{products}} = gpt2sql.dot(w.values, ((SELECT lane_1 FROM
--   activation)[lanes.g]).x) + (SELECT b FROM bias)[w.col + 1] AS y1 and {{positions}} =
--   (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1).
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
SELECT position.t, position.x
FROM (
  SELECT by_column.g,              -- each lane's output vector: its products in column order
         {{columns}}
  FROM (
    SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
           {{products}}
    FROM {{weight}} AS w
    CROSS JOIN LATERAL {{groups}} AS lanes (g)
    WHERE w.block = {{block}}
    ORDER BY lanes.g, w.col        -- by group, each in column order
    OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
  ) AS by_column
  GROUP BY by_column.g
  OFFSET 0                         -- the lanes' outputs made before any is looked at
) AS columns
CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
  {{positions}}
) AS position (t, x)
{{filled}}
