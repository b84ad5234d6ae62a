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
--
-- In psql: after probs.sql (its usage), this, {{temperature}} = 1, {{top_k}} = 0,
--   {{top_p}} = 0.9, {{seed}} = 42, {{step}} = 0 SELECT token FROM chosen;
ranked AS (                     -- [V]: rank 1 is the most probable
  SELECT token, prob, row_number() OVER (ORDER BY logit DESC, token) AS rank
  FROM probs
),
top_k AS (                      -- [<=V]: the top_k first by probability, renormalized
  SELECT token, rank,
         prob / CASE WHEN {{top_k}} > 0
                     THEN (SELECT sum(prob ORDER BY rank) FROM ranked WHERE rank <= {{top_k}})
                     ELSE 1 END AS prob
  FROM ranked
  WHERE {{top_k}} = 0 OR rank <= {{top_k}}
),
nucleus AS (                    -- [<=V]: the running sum of probability before each token
  SELECT token, rank, prob,
         coalesce(sum(prob) OVER (ORDER BY rank ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
  FROM top_k
),
kept AS (                       -- [<=V]: the nucleus, renormalized
  SELECT token, rank,
         prob / CASE WHEN {{top_p}} < 1
                     THEN (SELECT sum(prob ORDER BY rank) FROM nucleus WHERE before < {{top_p}})
                     ELSE 1 END AS prob
  FROM nucleus
  WHERE {{top_p}} >= 1 OR before < {{top_p}}
),
cumulative AS (                 -- [<=V]: the running sum of the kept probabilities
  SELECT token, rank, sum(prob) OVER (ORDER BY rank ROWS UNBOUNDED PRECEDING) AS running
  FROM kept
),
uniform AS (                    -- []: u in [0, 1), the same in every PostgreSQL and in the reference
  SELECT ('x' || substr(md5({{seed}}::text || ':' || {{step}}::text), 1, 8))::bit(32)::bigint
         / 4294967296.0::float8 AS u
),
chosen AS (                     -- [V] -> [1]
  SELECT token
  FROM (SELECT token FROM logits ORDER BY logit DESC, token LIMIT 1) AS greedy
  WHERE {{temperature}} = 0
  UNION ALL
  SELECT coalesce(
           (SELECT token FROM cumulative, uniform WHERE running > u ORDER BY rank LIMIT 1),
           (SELECT token FROM cumulative ORDER BY rank DESC LIMIT 1))
  WHERE {{temperature}} > 0
)
