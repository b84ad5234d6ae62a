-- residual: the residual connection, x + f(x) position by position (residual2 adds attn's
-- output to the block's input).
-- Inputs: the rows (t, x float8[C]) of the residual stream x and of f(x), two CTEs before.
-- [T, C] + [T, C] -> [T, C]
--
-- In psql: WITH a (t, x) AS (VALUES (0, '{1,2}'::float8[])), b (t, x) AS (VALUES (0,
--   '{3,4}'::float8[])) this, {{x}} = a, {{fx}} = b;
SELECT {{x}}.t, (SELECT array_agg(e.a + e.b) FROM (SELECT unnest({{x}}.x) AS a, unnest({{fx}}.x) AS b) AS e) AS x
FROM {{x}}
JOIN {{fx}} USING (t)
