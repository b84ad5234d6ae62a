-- sample_given: the sample stage alone, over logits given as a float8[] whose index is the token
-- id (from 0), to test the sampling rules against the reference and to try them in psql.
-- [V] -> [1]: the chosen token, and the kept tokens with their renormalized probabilities
WITH logits AS (                -- [V]
  SELECT (i - 1)::int AS token, logit
  FROM unnest($1::float8[]) WITH ORDINALITY AS given(logit, i)
),
-- probs: softmax(logits / temperature) over the vocabulary (rule 2 of src/reference/sample.ts):
-- the maximum is subtracted before exp(), and the sum runs in token order as the reference's.
-- exp() of less than -700 is taken as 0 (e^-700 is 1e-304): the quotient of a smaller one by the
-- sum could fall below the smallest float8, which PostgreSQL reports as an error where IEEE
-- arithmetic gives 0 (see "Numerics" in sql/README.md). Each token keeps its logit, which orders
-- the candidates. Empty when temperature = 0 (greedy needs no probabilities).
-- Inputs: logits (token, logit); temperature.
-- [V] -> [V]
scaled AS (                     -- [V]: logits / temperature
  SELECT token, logit, logit / $2::float8 AS z
  FROM logits
  WHERE $2::float8 > 0
),
exps AS (                       -- [V]: exp(z - max z)
  SELECT token, logit, CASE WHEN z - z_max > -700 THEN exp(z - z_max) ELSE 0 END AS e
  FROM scaled, (SELECT max(z) AS z_max FROM scaled) AS maximum
),
probs AS (                      -- [V]: e / sum(e)
  SELECT token, logit, e / (SELECT sum(e ORDER BY token) FROM exps) AS prob
  FROM exps
),
-- sample: chooses the next token as src/reference/sample.ts specifies. temperature = 0 is greedy:
-- the highest logit, ties to the lowest id. Otherwise: keep the top_k most probable (0 keeps all),
-- renormalize; keep the nucleus, each token whose running sum of probability before it is < top_p
-- (1 keeps all), renormalize; pick the first token whose running sum exceeds u = the first 32 bits
-- of md5('seed:step') / 2^32, or the last kept one if rounding leaves none. "By probability" is
-- logit descending, ties to the lower id: the order of probability, also among tokens whose
-- probabilities are equal (0 far below the top at a low temperature); every running sum is a
-- float8 sum in that order.
-- Inputs: logits (token, logit), probs (token, logit, prob); temperature, top_k, top_p, seed, step,
-- the index of the token being chosen (0 for the first new one).
-- [V] -> [1]
ranked AS (                     -- [V]: rank 1 is the most probable
  SELECT token, prob, row_number() OVER (ORDER BY logit DESC, token) AS rank
  FROM probs
),
top_k AS (                      -- [<=V]: the top_k first by probability, renormalized
  SELECT token, rank,
         prob / CASE WHEN $3::int > 0
                     THEN (SELECT sum(prob ORDER BY rank) FROM ranked WHERE rank <= $3::int)
                     ELSE 1 END AS prob
  FROM ranked
  WHERE $3::int = 0 OR rank <= $3::int
),
nucleus AS (                    -- [<=V]: the running sum of probability before each token
  SELECT token, rank, prob,
         coalesce(sum(prob) OVER (ORDER BY rank ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
  FROM top_k
),
kept AS (                       -- [<=V]: the nucleus, renormalized
  SELECT token, rank,
         prob / CASE WHEN $4::float8 < 1
                     THEN (SELECT sum(prob ORDER BY rank) FROM nucleus WHERE before < $4::float8)
                     ELSE 1 END AS prob
  FROM nucleus
  WHERE $4::float8 >= 1 OR before < $4::float8
),
cumulative AS (                 -- [<=V]: the running sum of the kept probabilities
  SELECT token, rank, sum(prob) OVER (ORDER BY rank ROWS UNBOUNDED PRECEDING) AS running
  FROM kept
),
uniform AS (                    -- []: u in [0, 1), the same in every PostgreSQL and in the reference
  SELECT ('x' || substr(md5($5::bigint::text || ':' || $6::int::text), 1, 8))::bit(32)::bigint
         / 4294967296.0::float8 AS u
),
chosen AS (                     -- [V] -> [1]
  SELECT token
  FROM (SELECT token FROM logits ORDER BY logit DESC, token LIMIT 1) AS greedy
  WHERE $2::float8 = 0
  UNION ALL
  SELECT coalesce(
           (SELECT token FROM cumulative, uniform WHERE running > u ORDER BY rank LIMIT 1),
           (SELECT token FROM cumulative ORDER BY rank DESC LIMIT 1))
  WHERE $2::float8 > 0
)
SELECT (SELECT token FROM chosen) AS token,
       (SELECT array_agg(token ORDER BY rank) FROM kept) AS kept_tokens,
       (SELECT array_agg(prob ORDER BY rank) FROM kept) AS kept_probs
