-- atty (stage attn, 5 of 5): att @ v, each head's attention output, the heads side by side:
-- the values summed with the attention weights, by the kernel's aggregate (atty_sum.sql) or one
-- output value at a time (atty_columns.sql).
-- Inputs: att (t, h, place, v, att).
-- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]
--
-- In psql: after attn_softmax.sql as the CTE att, with {{head_values}} = atty_columns.sql.
SELECT t, array_agg(y ORDER BY h, i) AS x
FROM (
  {{head_values}}
) AS head_values
GROUP BY t
