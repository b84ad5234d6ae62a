-- sample_given: the sample stage alone, over logits given as a float8[] whose index is the token
-- id (from 0), to test the sampling rules against the reference and to try them in psql.
-- [V] -> [1]: the chosen token, and the kept tokens with their renormalized probabilities
WITH logits AS (                -- [V]: one position, t = 0
  SELECT 0 AS t, (i - 1)::int AS token, logit
  FROM unnest($1::float8[]) WITH ORDINALITY AS given(logit, i)
),
lnf AS (                        -- the position that chooses
  SELECT 0 AS t
),
choosing AS (
  -- choosing: how the next token is chosen at the position whose logits choose it (the last
  -- position of the one sequence fed): the sampling options of src/reference/sample.ts, the index
  -- of the token being chosen, and how many alternatives to report with their log-probabilities
  -- (-1: none).
  -- Inputs: lnf (t, x), the positions kept; temperature, top_k, top_p, seed, step, logprobs.
  -- [1] -> [1]: (t, s, temperature, top_k, top_p, seed, step, logprobs)
  SELECT lnf.t, 0 AS s,
         $2::float8 AS temperature, $3::int AS top_k, $4::float8 AS top_p,
         $5::bigint AS seed, $6::int AS step, -1 AS logprobs
  FROM lnf
),
-- probs: softmax(logits / temperature) over the vocabulary at each position that chooses a token
-- (rule 2 of src/reference/sample.ts): the position's maximum is subtracted before exp(), and
-- each position's sum runs in token order as the reference's. exp() of less than -700 is taken as
-- 0 (e^-700 is 1e-304): the quotient of a smaller one by the sum could fall below the smallest
-- float8, which PostgreSQL reports as an error where IEEE arithmetic gives 0 (see "Numerics" in
-- sql/README.md). Each token keeps its logit, which orders the candidates. None at a position
-- whose temperature is 0 (greedy needs no probabilities).
-- Inputs: logits (t, token, logit); choosing (t, temperature).
-- [T', V] -> [T', V]
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
),
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
SELECT (SELECT token FROM chosen) AS token,
       (SELECT array_agg(token ORDER BY rank) FROM kept) AS kept_tokens,
       (SELECT array_agg(prob ORDER BY rank) FROM kept) AS kept_probs
