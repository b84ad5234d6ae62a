-- layer_norm (stages ln_1, ln_2, ln_f): each position's vector minus its mean, divided by its
-- standard deviation (the variance over C values plus epsilon, from the catalog), times the gain
-- g, plus the bias b. Mean and variance come from avg() and var_pop() in one pass (PostgreSQL's
-- Youngs-Cramer sums, in C): the reference's two passes up to rounding, and no underflow error
-- where (x - mean)² would be too small for a float8. A row whose values are all equal has
-- variance 0 and becomes b.
-- Inputs: the rows (t, x float8[C]) of the CTE before; g and b (float4[C]) of ln_1, ln_2 or ln_f.
-- [T, C] -> [T, C]
--
-- In psql, with a model's schema on the search_path:
--   WITH residual (t, x) AS (SELECT 0, ARRAY(SELECT random() FROM generate_series(1, 768)))
--   this, {{input}} = residual, {{g}} = (SELECT values FROM ln_1_g WHERE block = 0), {{b}} =
--   (SELECT values FROM ln_1_b WHERE block = 0), {{epsilon}} = 1e-5
SELECT input.t,
       (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + {{epsilon}}::float8)) + e.b)
        FROM (SELECT unnest(input.x) AS x, unnest({{g}}) AS g, unnest({{b}}) AS b) AS e) AS x
FROM {{input}} AS input
CROSS JOIN LATERAL (SELECT avg(e.x) AS mean, var_pop(e.x) AS variance FROM (SELECT unnest(input.x) AS x) AS e) AS stats
