-- atty (stage attn, 5 of 5): att @ v, each head's attention output, the heads side by side:
-- the values summed with the attention weights, by the kernel's aggregate (atty_sum.sql) or one
-- output value at a time (atty_columns.sql), each head's HS values one array; a position's
-- heads are concatenated in head order (gpt2sql.array_cat_agg, array_cat as an aggregate), so
-- no value is taken out of its head's array again.
-- Inputs: att (t, h, place, v, att).
-- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]
--
-- In psql: after attn_softmax.sql as the CTE att, with {{head_values}} = atty_columns.sql.
SELECT t, gpt2sql.array_cat_agg(y ORDER BY h) AS x
FROM (
  {{head_values}}
) AS head_values
GROUP BY t
