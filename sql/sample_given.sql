-- sample_given: the sample stage alone, over logits given as a float8[] whose index is the token
-- id (from 0), to test the sampling rules against the reference and to try them in psql.
-- [V] -> [1]: the chosen token, and the kept tokens with their renormalized probabilities
--
-- In psql: the snapshot test/sql/__snapshots__/sample_given.sql, with its $1.. replaced by
-- values: '{2,1,0}'::float8[], then one-element arrays of the options (choosing.sql), and the
-- tokens generated so far with their sequence (0) for the penalties.
WITH model_logits AS (          -- [1, V]: one position, t = 0, and its largest logit
  SELECT 0 AS t, given.logit, (SELECT max(v) FROM unnest(given.logit) AS v) AS max_logit
  FROM (SELECT {{logits}} AS logit) AS given
),
lnf AS (                        -- the position that chooses
  SELECT 0 AS t
),
fed AS (                        -- of the one sequence
  SELECT 0 AS t, 0 AS s
),
choosing AS (
  {{choosing}}
),
{{penalties}},
{{probs}},
{{sample}}
SELECT (SELECT token FROM chosen) AS token,
       (SELECT array_agg(token ORDER BY rank) FROM kept) AS kept_tokens,
       (SELECT array_agg(prob ORDER BY rank) FROM kept) AS kept_probs
