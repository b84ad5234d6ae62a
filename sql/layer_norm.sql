-- layer_norm (stages ln_1, ln_2, ln_f): each position's vector minus its mean, divided by its
-- standard deviation (the variance over C values plus epsilon = {{epsilon}}, from the catalog),
-- times the gain g, plus the bias b. Mean and variance are two passes, as in the reference.
-- Inputs: {{input}} (t, x float8[C]); the gain g = {{gain}} and the bias b = {{bias}}, float4[C].
-- [T, C] -> [T, C]
SELECT input.t,
       (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + {{epsilon}}::float8)) + e.b)
        FROM unnest(input.x, (SELECT values FROM {{gain}}{{of_block}}), (SELECT values FROM {{bias}}{{of_block}})) AS e(x, g, b)) AS x
FROM {{input}} AS input
CROSS JOIN LATERAL (SELECT sum(x) / {{n_embd}} AS mean FROM unnest(input.x) AS x) AS mean
CROSS JOIN LATERAL (
  SELECT mean.mean, sum((x - mean.mean) * (x - mean.mean)) / {{n_embd}} AS variance
  FROM unnest(input.x) AS x
) AS stats
