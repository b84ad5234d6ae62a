-- sample: chooses the next token at each position that chooses one, as src/reference/sample.ts
-- specifies, with that position's own options (choosing). temperature = 0 is greedy: the highest
-- logit, ties to the lowest id. Otherwise: keep the top_k most probable (0 keeps all),
-- renormalize; keep the nucleus, each token whose running sum of probability before it is < top_p
-- (1 keeps all), renormalize; pick the first token whose running sum exceeds u = the first 32 bits
-- of md5('seed:step') / 2^32, or the last kept one if rounding leaves none. "By probability" is
-- logit descending, ties to the lower id; every running sum is a float8 sum in that order.
-- Only what is kept is ranked: greedy keeps the largest logit (a bounded sort of one), top-k the
-- k largest (a bounded heap of k); with top-p alone, a token whose probability is below
-- (1 - top_p) / 2V can never be in the nucleus (all the tokens after it hold less than
-- (1 - top_p) / 2, so the sum before it is at least top_p), so only the others are sorted (for
-- top_p within 1e-9 of 1, where rounding could matter, every token is). The chosen token is the
-- one the whole ranking would give.
-- Inputs: logits (t, logit float8[V]), softmax (probs.sql); choosing (t, temperature, top_k, top_p,
-- seed, step), step being the index of the token being chosen (0 for the first new one).
-- [T', V] -> [T']
--
-- In psql: after probs.sql (its usage), this SELECT t, token FROM chosen;
candidates AS (                 -- [T', <=V]: the tokens top-k and top-p may keep, rank 1 the most probable
  SELECT softmax.t, top.token, top.rank, top.e / softmax.total AS prob
  FROM softmax
  JOIN choosing USING (t)
  JOIN logits USING (t)
  CROSS JOIN LATERAL (
    SELECT (v.i - 1)::int AS token, v.e, row_number() OVER (ORDER BY v.logit DESC, v.i) AS rank
    FROM (SELECT given.logit, given.i, CASE WHEN given.z > -700 THEN exp(given.z) ELSE 0 END AS e
          FROM (SELECT logit, i, logit / softmax.temperature - softmax.z_max AS z
                FROM (SELECT unnest(logits.logit) AS logit, generate_subscripts(logits.logit, 1) AS i) AS token_logit) AS given
          WHERE choosing.top_k > 0 OR choosing.top_p > 1 - 1e-9
             OR CASE WHEN given.z > -700 THEN exp(given.z) ELSE 0 END / softmax.total
                  >= (1 - choosing.top_p) / (2 * cardinality(logits.logit))
          ORDER BY given.logit DESC, given.i
          LIMIT CASE WHEN choosing.top_k > 0 THEN choosing.top_k END) AS v
  ) AS top
),
top_k AS (                      -- [T', <=V]: the top_k first by probability, renormalized
  SELECT t, token, rank,
         prob / CASE WHEN top_k > 0 THEN sum(prob) OVER whole ELSE 1 END AS prob
  FROM candidates
  JOIN choosing USING (t)
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
  (SELECT choosing.t, greedy.token  -- greedy: the largest logit, a sort bounded to one row
   FROM choosing
   JOIN logits USING (t)
   CROSS JOIN LATERAL (SELECT (i - 1)::int AS token
                       FROM (SELECT unnest(logits.logit) AS logit, generate_subscripts(logits.logit, 1) AS i) AS token_logit
                       ORDER BY logit DESC, i
                       LIMIT 1) AS greedy
   WHERE choosing.temperature = 0)
  UNION ALL
  (SELECT DISTINCT ON (cumulative.t) cumulative.t, cumulative.token  -- the first whose running sum passes u; if rounding leaves none, the last kept
   FROM cumulative
   JOIN uniform USING (t)
   ORDER BY cumulative.t, cumulative.running > uniform.u DESC,
            CASE WHEN cumulative.running > uniform.u THEN cumulative.rank ELSE -cumulative.rank END)
)
