-- linear_parts: x @ w + b for every position, as linear.sql, for stored rows too long to fit in
-- a page: each row is stored in parts of equal size (w.part), and its dot product with a
-- position's activation is the sum of its parts' dot products, each computed by the model's
-- kernel against the same part of the activation, summed in part order (the same sum whichever
-- process computed each part). Each stored part is read once and computes its products with W
-- positions in one output row, as in linear.sql (once, or once for each group of W positions);
-- each lane's array holds the parts of its positions one after another (part p of group g at
-- (g − 1) · parts + p + 1).
-- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part, values) and
-- b (block, values) of the layer; the block.
-- [T, n_in] -> [T, n_out]
--
-- In psql: as linear.sql, with {{parts}} and the slices in {{prepare}} as the model's rows are stored
-- (`gpt2sql sql next` on a model of the cube kernel prints it filled in).
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
SELECT position.t, position.x      -- for each group of W positions, one after another:
FROM {{groups}} AS lanes (g)
CROSS JOIN LATERAL (               -- the group's positions and activations (each part), taken out of the lanes once
  SELECT
    {{group_values}}
  FROM activation
  OFFSET 0                         -- computed once a group, not again for every row read
) AS lane
CROSS JOIN LATERAL (
  SELECT                           -- each lane's output vector, in column order, plus the bias
    {{columns}}
  FROM (
    SELECT by_part.col,            -- each column's parts summed in part order
           {{sums}}
    FROM (
      SELECT w.col, w.part,        -- [n_out * parts, W]: each stored part's products with the group's positions, in one row
             {{products}}
      FROM {{weight}} AS w
      WHERE w.block = {{block}}
      ORDER BY w.col, w.part       -- the primary key's order, read in it (no sort)
      OFFSET 0                     -- a subquery of its own: the products computed where the rows are read
    ) AS by_part
    GROUP BY by_part.col
    ORDER BY by_part.col           -- the columns in order: the order their parts came in
  ) AS by_column
) AS columns
CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
  {{positions}}
) AS position (t, x)
{{filled}}
