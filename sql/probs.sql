-- probs: softmax(logits / temperature) over the vocabulary (rule 2 of src/reference/sample.ts):
-- the maximum is subtracted before exp(), and the sum runs in token order as the reference's.
-- exp() of less than -700 is taken as 0 (e^-700 is 1e-304): the quotient of a smaller one by the
-- sum could fall below the smallest float8, which PostgreSQL reports as an error where IEEE
-- arithmetic gives 0 (see "Numerics" in sql/README.md). Each token keeps its logit, which orders
-- the candidates. Empty when temperature = 0 (greedy needs no probabilities).
-- Inputs: logits (token, logit); temperature.
-- [V] -> [V]
--
-- In psql: WITH logits (token, logit) AS (VALUES (0, 2.0), (1, 1.0), (2, -800.0)),
--   this, {{temperature}} = 1 SELECT * FROM probs;
scaled AS (                     -- [V]: logits / temperature
  SELECT token, logit, logit / {{temperature}} AS z
  FROM logits
  WHERE {{temperature}} > 0
),
exps AS (                       -- [V]: exp(z - max z)
  SELECT token, logit, CASE WHEN z - z_max > -700 THEN exp(z - z_max) ELSE 0 END AS e
  FROM scaled, (SELECT max(z) AS z_max FROM scaled) AS maximum
),
probs AS (                      -- [V]: e / sum(e)
  SELECT token, logit, e / (SELECT sum(e ORDER BY token) FROM exps) AS prob
  FROM exps
)
