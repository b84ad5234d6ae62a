-- linear_parts: x @ w + b for every position, as linear.sql, for stored rows too long to fit in
-- a page: each row is stored in parts of equal size (w.part), and its dot product with the
-- position's activation is the sum of its parts' dot products, each computed by the model's
-- kernel against the same part of the activation.
-- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part, values) and
-- b (block, values) of the layer.
-- [T, n_in] -> [T, n_out]
--
-- In psql: as linear.sql, with {{parts}} and {{part_size}} as the model's rows are stored
-- (`gpt2sql sql next` on a model of the cube kernel prints it filled in).
WITH activation AS MATERIALIZED (  -- each part of the activation in the kernel's type, converted once per position
  SELECT t, part, {{prepare}} AS x
  FROM (
    SELECT input.t, part, input.x[part * {{part_size}} + 1 : (part + 1) * {{part_size}}] AS x
    FROM {{input}} AS input
    CROSS JOIN generate_series(0, {{parts}} - 1) AS part
  ) AS sliced
),
bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
  SELECT values::float8[] AS b
  FROM {{bias}}
  WHERE block = {{block}}
),
product AS (                       -- one dot product per stored row and position, summed over the parts
  SELECT part.t, w.col, sum(part.y) AS y
  FROM {{weight}} AS w
  CROSS JOIN LATERAL (             -- each stored part is read once, against every position
    SELECT activation.t,           -- (OFFSET 0: see linear.sql)
           {{dot}} AS y
    FROM activation
    WHERE activation.part = w.part
    OFFSET 0
  ) AS part
  WHERE w.block = {{block}}
  GROUP BY part.t, w.col
)
SELECT product.t, array_agg(product.y + (SELECT b FROM bias)[product.col + 1] ORDER BY product.col) AS x
FROM product
GROUP BY product.t
