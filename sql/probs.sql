-- probs: softmax(logits / temperature) over the vocabulary at each position that chooses a token
-- (rule 2 of src/reference/sample.ts): the position's maximum is subtracted before exp(), and
-- each position's sum runs in token order as the reference's. exp() of less than -700 is taken as
-- 0 (e^-700 is 1e-304): the quotient of a smaller one by the sum could fall below the smallest
-- float8, which PostgreSQL reports as an error where IEEE arithmetic gives 0 (see "Numerics" in
-- sql/README.md). Each token keeps its logit, which orders the candidates. None at a position
-- whose temperature is 0 (greedy needs no probabilities).
-- Inputs: logits (t, token, logit); choosing (t, temperature).
-- [T', V] -> [T', V]
--
-- In psql: WITH logits (t, token, logit) AS (VALUES (0, 0, 2.0), (0, 1, 1.0), (0, 2, -800.0)),
--   choosing (t, temperature) AS (VALUES (0, 1.0)), this SELECT * FROM probs;
scaled AS (                     -- [T', V]: logits / temperature
  SELECT logits.t, logits.token, logits.logit, logits.logit / choosing.temperature AS z
  FROM logits
  JOIN choosing USING (t)
  WHERE choosing.temperature > 0
),
exps AS (                       -- [T', V]: exp(z - max z)
  SELECT t, token, logit, CASE WHEN z - z_max > -700 THEN exp(z - z_max) ELSE 0 END AS e
  FROM scaled
  JOIN (SELECT t, max(z) AS z_max FROM scaled GROUP BY t) AS maximum USING (t)
),
probs AS (                      -- [T', V]: e / sum(e)
  SELECT t, token, logit, e / total AS prob
  FROM exps
  JOIN (SELECT t, sum(e ORDER BY token) AS total FROM exps GROUP BY t) AS sums USING (t)
)
