-- linear: x @ w + b for every position. w is stored one output column per row (w.col), so each
-- output value is one dot product of a stored row with the position's activation, computed by
-- the {{kernel}} kernel. Used by attn (c_attn, c_proj) and mlp (c_fc, c_proj).
-- Inputs: {{input}} (t, x float8[n_in]); w = {{weight}} (block, col, values); b = {{bias}} (block, values).
-- [T, n_in] -> [T, n_out]
WITH activation AS MATERIALIZED (  -- the activation in the kernel's type, converted once per position
  SELECT t, {{prepare}} AS x
  FROM {{input}}
),
product AS MATERIALIZED (          -- one dot product per position and stored row (MATERIALIZED:
  SELECT activation.t, w.col,      -- the sort below then moves numbers, not stored rows)
         {{dot}} + bias.b AS y
  FROM activation
  CROSS JOIN {{weight}} AS w
  JOIN unnest((SELECT values FROM {{bias}} WHERE block = {{block}})) WITH ORDINALITY AS bias(b, col)
    ON bias.col = w.col + 1
  WHERE w.block = {{block}}
)
SELECT t, array_agg(y ORDER BY col) AS x
FROM product
GROUP BY t
