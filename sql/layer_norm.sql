-- layer_norm (stages ln_1, ln_2, ln_f): each position's vector minus its mean, divided by its
-- standard deviation (the variance over C values plus epsilon = {{epsilon}}, from the catalog),
-- times the gain g, plus the bias b. Mean and variance come from avg() and var_pop() in one pass
-- (PostgreSQL's Youngs-Cramer sums, in C): the reference's two passes up to rounding, and
-- no underflow error where (x - mean)² would be too small for a float8. A row whose values are
-- all equal has variance 0 and becomes b.
-- Inputs: {{input}} (t, x float8[C]); the gain g = {{gain}} and the bias b = {{bias}}, float4[C].
-- [T, C] -> [T, C]
SELECT input.t,
       (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + {{epsilon}}::float8)) + e.b)
        FROM unnest(input.x, (SELECT values FROM {{gain}}{{of_block}}), (SELECT values FROM {{bias}}{{of_block}})) AS e(x, g, b)) AS x
FROM {{input}} AS input
CROSS JOIN LATERAL (SELECT avg(x) AS mean, var_pop(x) AS variance FROM unnest(input.x) AS x) AS stats
