-- linear: x @ w + b for every position. w is stored one output column per row (w.col), so each
-- output value is one dot product of a stored row with the position's activation, computed by
-- the model's kernel. Used by attn (c_attn, c_proj) and mlp (c_fc, c_proj).
-- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part 0, values) and
-- b (block, values) of the layer.
-- [T, n_in] -> [T, n_out]
--
-- In psql, on a model of the array kernel (its schema on the search_path):
--   WITH ln1 (t, x) AS (SELECT 0, ARRAY(SELECT random() FROM generate_series(1, 768))) SELECT *
--   FROM (this, {{input}} = ln1, {{prepare}} = x, {{weight}} = c_attn_w, {{bias}} = c_attn_b,
--   {{block}} = 0, {{dot}} = (SELECT sum(a * b) FROM unnest(w.values, activation.x) AS p(a, b))) AS qkv;
WITH activation AS MATERIALIZED (  -- the activation in the kernel's type, converted once per position
  SELECT t, {{prepare}} AS x
  FROM {{input}}
),
bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
  SELECT values::float8[] AS b
  FROM {{bias}}
  WHERE block = {{block}}
)
-- Each stored row is read once, against every position: OFFSET 0 keeps the LATERAL subquery a
-- subquery, which the planner would otherwise turn inside out (reading the activation first and
-- copying the stored rows to a temporary file, once per position).
SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
FROM {{weight}} AS w
CROSS JOIN bias
CROSS JOIN LATERAL (
  SELECT activation.t, w.col,
         {{dot}}
         + bias.b[w.col + 1] AS y
  FROM activation
  OFFSET 0
) AS product
WHERE w.block = {{block}}
GROUP BY product.t
