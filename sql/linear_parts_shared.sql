-- linear_parts_shared: linear_parts.sql (rows stored in parts, each part's products summed in
-- part order) for more positions than a stored part meets at once, in a statement whose scans
-- parallel workers share: each stored part is read once and meets every group of W positions,
-- as in linear_shared.sql; each lane's array holds the parts of its positions one after another
-- (part p of group g at (g − 1) · parts + p + 1).
-- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part, values) and
-- b (block, values) of the layer; the block.
-- [T, n_in] -> [T, n_out]
--
-- In psql: as linear_shared.sql, with {{parts}}, the slices in {{prepare}} and the sums as in
--   linear_parts.sql.
WITH activation AS MATERIALIZED (  -- each part of each position's activation in the kernel's type, converted once, in W lanes
  SELECT (count(*)::int / {{parts}} + {{width}} - 1) / {{width}} AS groups,
         {{lanes}}
  FROM (SELECT input.t, part, {{prepare}} AS x, (dense_rank() OVER (ORDER BY input.t) - 1)::int AS n
        FROM {{input}} AS input
        CROSS JOIN generate_series(0, {{parts}} - 1) AS part) AS position
),
bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
  SELECT values::float8[] AS b
  FROM {{bias}}
  WHERE block = {{block}}
)
SELECT position.t, position.x
FROM (
  SELECT by_column.g,              -- each lane's output vector, in column order, plus the bias
         {{columns}}
  FROM (
    SELECT by_part.g, by_part.col, -- each column's parts summed in part order
           {{sums}}
    FROM (
      SELECT w.col, w.part, lanes.g, -- [n_out * parts, T]: each stored part's products with W positions, in one row
             {{products}}
      FROM {{weight}} AS w
      CROSS JOIN LATERAL {{groups}} AS lanes (g)
      WHERE w.block = {{block}}
      ORDER BY lanes.g, w.col, w.part  -- by group, each in the primary key's order
      OFFSET 0                         -- a subquery of its own: the products computed where the rows are read
    ) AS by_part
    GROUP BY by_part.g, by_part.col
    ORDER BY by_part.g, by_part.col  -- the columns in order: the order their parts came in
  ) AS by_column
  GROUP BY by_column.g
  OFFSET 0                         -- the lanes' outputs made before any is looked at
) AS columns
CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
  {{positions}}
) AS position (t, x)
{{filled}}
