-- probs: softmax(logits / temperature) at each position that chooses a token (rule 2 of
-- src/reference/sample.ts), kept as the two numbers every token's probability comes from: the
-- position's largest z = logit / temperature, and total, the sum of exp(z - z_max) over the
-- vocabulary in token order, as the reference sums it. A token's probability is then
-- exp(z - z_max) / total; no row per token is made for tokens sampling does not keep. The
-- maximum of z is the largest logit (logits.sql finds it) divided by the temperature (dividing by
-- a positive number keeps the order, also after rounding): one pass over the logits. exp() of less than -700 is taken as 0 (e^-700 is
-- 1e-304): the quotient of a smaller one by the sum could fall below the smallest float8, which
-- PostgreSQL reports as an error where IEEE arithmetic gives 0 (see "Numerics" in sql/README.md).
-- None at a position whose temperature is 0 (greedy needs no probabilities).
-- Inputs: logits (t, logit float8[V], max_logit); choosing (t, temperature).
-- [T', V] -> [T']: (t, temperature, z_max, total)
--
-- In psql: WITH logits (t, logit, max_logit) AS (VALUES (0, '{2.0, 1.0, -800.0}'::float8[], 2.0)),
--   choosing (t, temperature) AS (VALUES (0, 1.0)), this SELECT * FROM softmax;
softmax AS (                    -- [T']: each position's z_max and total, in one pass over its logits
  SELECT logits.t, choosing.temperature, scaled.z_max, sums.total
  FROM logits
  JOIN (SELECT * FROM choosing WHERE temperature > 0 OFFSET 0) AS choosing USING (t)  -- OFFSET 0: filtered
  CROSS JOIN LATERAL (SELECT logits.max_logit / choosing.temperature AS z_max
                      OFFSET 0) AS scaled  -- divided once, not again for every token
  CROSS JOIN LATERAL (
    SELECT sum(CASE WHEN v.z - scaled.z_max > -700 THEN exp(v.z - scaled.z_max) ELSE 0 END) AS total
    FROM (SELECT unnest(logits.logit) / choosing.temperature AS z) AS v  -- in token order
  ) AS sums
)
