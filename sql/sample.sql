-- sample: chooses the next token at each position that chooses one, as src/reference/sample.ts
-- specifies, with that position's own options (choosing). temperature = 0 is greedy: the highest
-- logit, ties to the lowest id. Otherwise: keep the top_k most probable (0 keeps all),
-- renormalize; keep the nucleus, each token whose running sum of probability before it is < top_p
-- (1 keeps all), renormalize; pick the first token whose running sum exceeds u = the first 32 bits
-- of md5('seed:step') / 2^32, or the last kept one if rounding leaves none. "By probability" is
-- logit descending, ties to the lower id: the order of probability, also among tokens whose
-- probabilities are equal (0 far below the top at a low temperature); every running sum is a
-- float8 sum in that order.
-- Inputs: logits (t, token, logit), probs (t, token, logit, prob); choosing (t, temperature,
-- top_k, top_p, seed, step), step being the index of the token being chosen (0 for the first
-- new one).
-- [T', V] -> [T']
--
-- In psql: after probs.sql (its usage), this SELECT t, token FROM chosen;
ranked AS (                     -- [T', V]: rank 1 is the most probable
  SELECT t, token, prob, row_number() OVER (PARTITION BY t ORDER BY logit DESC, token) AS rank
  FROM probs
),
top_k AS (                      -- [T', <=V]: the top_k first by probability, renormalized
  SELECT t, token, rank,
         prob / CASE WHEN top_k > 0 THEN sum(prob) OVER whole ELSE 1 END AS prob
  FROM (SELECT ranked.t, ranked.token, ranked.rank, ranked.prob, choosing.top_k
        FROM ranked
        JOIN choosing USING (t)
        WHERE choosing.top_k = 0 OR ranked.rank <= choosing.top_k) AS first_k
  -- the sum of the whole partition, added in rank order as the reference adds it
  WINDOW whole AS (PARTITION BY t ORDER BY rank ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
nucleus AS (                    -- [T', <=V]: the running sum of probability before each token
  SELECT t, token, rank, prob,
         coalesce(sum(prob) OVER (PARTITION BY t ORDER BY rank ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
  FROM top_k
),
kept AS (                       -- [T', <=V]: the nucleus, renormalized
  SELECT t, token, rank,
         prob / CASE WHEN top_p < 1 THEN sum(prob) OVER whole ELSE 1 END AS prob
  FROM (SELECT nucleus.t, nucleus.token, nucleus.rank, nucleus.prob, choosing.top_p
        FROM nucleus
        JOIN choosing USING (t)
        WHERE choosing.top_p >= 1 OR nucleus.before < choosing.top_p) AS within_p
  WINDOW whole AS (PARTITION BY t ORDER BY rank ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
cumulative AS (                 -- [T', <=V]: the running sum of the kept probabilities
  SELECT t, token, rank, sum(prob) OVER (PARTITION BY t ORDER BY rank ROWS UNBOUNDED PRECEDING) AS running
  FROM kept
),
uniform AS (                    -- [T']: u in [0, 1), the same in every PostgreSQL and in the reference
  SELECT t, ('x' || substr(md5(seed::text || ':' || step::text), 1, 8))::bit(32)::bigint
            / 4294967296.0::float8 AS u
  FROM choosing
  WHERE temperature > 0
),
chosen AS (                     -- [T', V] -> [T']
  (SELECT DISTINCT ON (logits.t) logits.t, logits.token  -- greedy
   FROM logits
   JOIN choosing USING (t)
   WHERE choosing.temperature = 0
   ORDER BY logits.t, logits.logit DESC, logits.token)
  UNION ALL
  (SELECT DISTINCT ON (cumulative.t) cumulative.t, cumulative.token  -- the first whose running sum passes u; if rounding leaves none, the last kept
   FROM cumulative
   JOIN uniform USING (t)
   ORDER BY cumulative.t, cumulative.running > uniform.u DESC,
            CASE WHEN cumulative.running > uniform.u THEN cumulative.rank ELSE -cumulative.rank END)
)
