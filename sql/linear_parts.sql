-- linear_parts: x @ w + b for every position, as linear.sql, for stored rows too long to fit in
-- a page: each row is stored in parts of equal size (w.part), and its dot product with the
-- position's activation is the sum of its parts' dot products (in part order: the same sum
-- whichever process computed each part), each computed by the model's kernel against the same
-- part of the activation.
-- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part, values) and
-- b (block, values) of the layer; the block.
-- [T, n_in] -> [T, n_out]
--
-- In psql: as linear.sql, with {{parts}} and the slices in {{prepare}} as the model's rows are stored
-- (`gpt2sql sql next` on a model of the cube kernel prints it filled in).
WITH activation AS MATERIALIZED (  -- each part of every position's activation in the kernel's type, converted once
  SELECT array_agg(ROW(input.t, part, {{prepare}})::position_activation ORDER BY input.t, part) AS x
  FROM {{input}} AS input
  CROSS JOIN generate_series(0, {{parts}} - 1) AS part
),
bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
  SELECT values::float8[] AS b
  FROM {{bias}}
  WHERE block = {{block}}
)
SELECT summed.t, array_agg(summed.y + (SELECT b FROM bias)[summed.col + 1] ORDER BY summed.col) AS x
FROM (
  SELECT product.t, product.col, sum(product.y ORDER BY product.part) AS y
  FROM (
    SELECT position.t, w.col, w.part,
           {{dot}} AS y
    FROM {{weight}} AS w
    -- each stored part against the same part of every position (the CASE: see linear.sql)
    CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
    WHERE w.block = {{block}}
      AND position.part = w.part
    OFFSET 0  -- the dot products computed where the rows are read: see linear.sql
  ) AS product
  GROUP BY product.t, product.col
) AS summed
GROUP BY summed.t
