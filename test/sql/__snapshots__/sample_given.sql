-- sample_given: the sample stage alone, over logits given as a float8[] whose index is the token
-- id (from 0), to test the sampling rules against the reference and to try them in psql.
-- [V] -> [1]: the chosen token, and the kept tokens with their renormalized probabilities
WITH logits AS (                -- [1, V]: one position, t = 0, and its largest logit
  SELECT 0 AS t, given.logit, (SELECT max(v) FROM unnest(given.logit) AS v) AS max_logit
  FROM (SELECT $1::float8[] AS logit) AS given
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
softmax AS (                    -- [T']: each position's z_max and total, in one pass over its logits
  SELECT logits.t, choosing.temperature, scaled.z_max, sums.total
  FROM logits
  JOIN (SELECT * FROM choosing WHERE temperature > 0 OFFSET 0) AS choosing USING (t)  -- OFFSET 0: filtered
  CROSS JOIN LATERAL (SELECT logits.max_logit / choosing.temperature AS z_max) AS scaled  -- before any division
  CROSS JOIN LATERAL (
    SELECT sum(CASE WHEN v.z - scaled.z_max > -700 THEN exp(v.z - scaled.z_max) ELSE 0 END) AS total
    FROM (SELECT unnest(logits.logit) / choosing.temperature AS z) AS v  -- in token order
  ) AS sums
),
-- sample: chooses the next token at each position that chooses one, as src/reference/sample.ts
-- specifies, with that position's own options (choosing). temperature = 0 is greedy: the highest
-- logit, ties to the lowest id. Otherwise: keep the top_k most probable (0 keeps all),
-- renormalize; keep the nucleus, each token whose running sum of probability before it is < top_p
-- (1 keeps all), renormalize; pick the first token whose running sum exceeds u = the first 32 bits
-- of md5('seed:step') / 2^32, or the last kept one if rounding leaves none. "By probability" is
-- logit descending, ties to the lower id; every running sum is a float8 sum in that order.
-- Only what is kept is ranked, and only up to the pick: greedy takes the first token with the
-- largest logit (logits.sql found it: one search of the array); top-k the k largest (a bounded
-- heap of k); with top-p alone, a token whose probability is below (1 - top_p) / 2V can never be
-- in the nucleus (the tokens after it hold less than (1 - top_p) / 2, so the sum before it is at
-- least top_p), so only the tokens whose z = logit / temperature - z_max is above ln of that bound
-- times total (less a margin far wider than rounding) are sorted (for top_p within 1e-9 of 1,
-- where rounding could matter, every token is). Temperature alone sorts every token and
-- renormalizes nothing. What is kept is sorted once, each position on its own; every running sum
-- reads it in that order, and probabilities are computed after the sort, as the rows are read: the
-- pick reads them until its running sum first exceeds u (running sums never go down) and stops.
-- The chosen token is the one the whole ranking would give.
-- Inputs: logits (t, logit float8[V], max_logit), softmax (probs.sql); choosing (t, temperature,
-- top_k, top_p, seed, step), step being the index of the token being chosen (0 for the first).
-- [T', V] -> [T']
kept AS (                       -- [T', <=V]: what each sampling position keeps, by probability, and its pick
  SELECT softmax.t, position.token, position.rank, position.prob, position.running, position.picked
  FROM softmax
  JOIN choosing USING (t)
  JOIN logits USING (t)
  CROSS JOIN LATERAL (
    WITH candidates AS NOT MATERIALIZED (  -- [<=V]: the tokens sampling may keep, most probable first,
      SELECT logit, i, CASE WHEN z > -700 THEN exp(z) ELSE 0 END / softmax.total AS prob  -- each one's
      FROM (SELECT logit, i, logit / softmax.temperature - softmax.z_max AS z  -- probability, computed
            FROM (SELECT logit, i                                               -- as it is read
                  FROM (SELECT unnest(logits.logit) AS logit, generate_subscripts(logits.logit, 1) AS i) AS token_logit
                  WHERE choosing.top_k > 0 OR choosing.top_p > 1 - 1e-9
                     OR logit / softmax.temperature - softmax.z_max
                        >= ln((1 - choosing.top_p) / (2 * cardinality(logits.logit)) * softmax.total) - 1e-6
                  ORDER BY logit DESC, i
                  LIMIT CASE WHEN choosing.top_k > 0 THEN choosing.top_k END) AS ranked) AS scaled
    ),
    nucleus AS (                -- the top_k renormalized (the sum of all of them, in rank order), and the
      SELECT logit, i, prob      -- running sum of probability before each token: those top_p keeps
      FROM (SELECT logit, i, prob, coalesce(sum(prob) OVER (ORDER BY logit DESC, i ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
            FROM (SELECT logit, i, prob / CASE WHEN choosing.top_k > 0 THEN sum(prob) OVER whole ELSE 1 END AS prob
                  FROM candidates
                  WHERE NOT (choosing.top_k = 0 AND choosing.top_p >= 1)
                  WINDOW whole AS (ORDER BY logit DESC, i ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) AS top_k) AS ranked
      WHERE choosing.top_p >= 1 OR before < choosing.top_p
    ),
    renormalized AS (           -- every token (temperature alone), or the nucleus renormalized; each with
      SELECT logit, i, prob, sum(prob) OVER (ORDER BY logit DESC, i ROWS UNBOUNDED PRECEDING) AS running  -- its
      FROM ((SELECT logit, i, prob FROM candidates WHERE choosing.top_k = 0 AND choosing.top_p >= 1  -- running
             ORDER BY logit DESC, i)  -- (as candidates are: this ORDER BY tells the planner so)         -- sum
            UNION ALL
            (SELECT logit, i, prob / CASE WHEN choosing.top_p < 1 THEN sum(prob) OVER whole ELSE 1 END AS prob
             FROM nucleus
             WINDOW whole AS (ORDER BY logit DESC, i ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
            ORDER BY logit DESC, i) AS kept
    )
    SELECT (i - 1)::int AS token, (row_number() OVER by_probability)::int AS rank, prob, running,
           -- the first running sum above u, or the last kept token if rounding leaves none
           CASE WHEN running > u THEN coalesce(lag(running) OVER by_probability, -1) <= u
                ELSE lead(running) OVER by_probability IS NULL END AS picked
    FROM renormalized
    CROSS JOIN (SELECT ('x' || substr(md5(choosing.seed::text || ':' || choosing.step::text), 1, 8))::bit(32)::bigint
                       / 4294967296.0::float8 AS u) AS uniform  -- u in [0, 1), as the reference computes it
    WINDOW by_probability AS (ORDER BY logit DESC, i)
  ) AS position
),
chosen AS (                     -- [T', V] -> [T']
  (SELECT choosing.t, array_position(logits.logit, logits.max_logit) - 1 AS token  -- greedy: the first token
   FROM choosing                                                                    -- with the largest logit
   JOIN logits USING (t)
   WHERE choosing.temperature = 0)
  UNION ALL
  (SELECT choosing.t, (SELECT kept.token FROM kept WHERE kept.t = choosing.t AND kept.picked LIMIT 1) AS token
   FROM choosing                -- the one picked token: its LIMIT stops reading the position's ranking there
   WHERE choosing.temperature > 0)
)
SELECT (SELECT token FROM chosen) AS token,
       (SELECT array_agg(token ORDER BY rank) FROM kept) AS kept_tokens,
       (SELECT array_agg(prob ORDER BY rank) FROM kept) AS kept_probs
