-- probs: softmax(logits / temperature) over the vocabulary (rule 2 of src/reference/sample.ts):
-- the maximum is subtracted before exp(), exp() of less than -745 is 0 (float8 underflows there,
-- and PostgreSQL raises an error instead), and the sum runs in token order as the reference's.
-- Empty when temperature = 0 (greedy needs no probabilities).
-- Inputs: logits (token, logit); temperature.
-- [V] -> [V]
scaled AS (                     -- [V]: logits / temperature
  SELECT token, logit / {{temperature}} AS z
  FROM logits
  WHERE {{temperature}} > 0
),
exps AS (                       -- [V]: exp(z - max z)
  SELECT token, CASE WHEN z - z_max > -745 THEN exp(z - z_max) ELSE 0 END AS e
  FROM scaled, (SELECT max(z) AS z_max FROM scaled) AS maximum
),
probs AS (                      -- [V]: e / sum(e)
  SELECT token, e / (SELECT sum(e ORDER BY token) FROM exps) AS prob
  FROM exps
)
