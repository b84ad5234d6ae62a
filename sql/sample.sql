-- sample: chooses the next token at each position that chooses one, as src/reference/sample.ts
-- specifies, with that position's own options (choosing). temperature = 0 is greedy: the highest
-- logit, ties to the lowest id. Otherwise: keep the top_k most probable (0 keeps all),
-- renormalize; keep the nucleus, each token whose running sum of probability before it is < top_p
-- (1 keeps all), and of those the ones whose probability is at least min_p times the most
-- probable token's (0 keeps all), renormalize; pick the first token whose running sum exceeds
-- u = the first 32 bits of md5('seed:draw') / 2^32, or the last kept one if rounding leaves none.
-- "By probability" is logit descending, ties to the lower id; running sums are float8, in order.
-- Only what is kept is ranked, and only up to the pick: greedy takes the first token with the
-- largest logit (logits.sql found it: one search of the array); top-k the k largest (a bounded heap
-- of k); with top-p alone, a token whose probability is below (1 - top_p) / 2V can never be in the
-- nucleus (the tokens after it hold less than (1 - top_p) / 2, so the sum before it is at least
-- top_p), so only the tokens whose z = logit / temperature - z_max is above ln of that bound times
-- total (less a margin far wider than rounding: 1e-6, and |z_max| / 1e12) are sorted (top_p within
-- 1e-9 of 1: all); without top_k, neither is a token whose z is below ln(min_p) (less that margin),
-- which min_p drops whatever comes before it. Temperature alone renormalizes nothing and keeps
-- every token; unless the whole ranking is asked for (by_draw false: the explorer shows it), only
-- those the draw can reach are sorted: the tokens whose probability is below (1 - u) / 2V hold less
-- than (1 - u) / 2 together, so the running sum passes u before the first of them (u within 1e-9 of
-- 1: all). Each bound is computed once a position, as u is. What is kept is sorted once, each
-- position on its own; every running sum reads it in that order, and probabilities are computed
-- after the sort, as the rows are read: the pick reads them until its running sum first exceeds u
-- (running sums never go down) and stops: the token the whole ranking would give.
-- Inputs: logits (t, logit float8[V], max_logit), softmax (probs.sql); choosing (t, temperature,
-- top_k, top_p, min_p, seed, draw), draw being the index of the token being chosen (0 for the first).
-- [T', V] -> [T']
--
-- In psql: WITH logits (t, logit, max_logit) AS (VALUES (0, '{2.0, 1.0, -800.0}'::float8[], 2.0)),
--   choosing (t, temperature, top_k, top_p, min_p, seed, draw) AS (VALUES (0, 1.0, 0, 1.0, 0.0,
--   42, 0)), probs.sql, this (by_draw = true), SELECT t, token FROM chosen;
kept AS (                       -- [T', <=V]: what each sampling position keeps, by probability, and its pick
  SELECT softmax.t, position.token, position.rank, position.prob, position.running, position.picked
  FROM softmax
  JOIN choosing USING (t)
  JOIN logits USING (t)
  CROSS JOIN LATERAL (SELECT ('x' || substr(md5(choosing.seed::text || ':' || choosing.draw::text), 1, 8))::bit(32)::bigint
                             / 4294967296.0::float8 AS u
                      OFFSET 0) AS uniform  -- u in [0, 1), as the reference computes it (once, not per token)
  CROSS JOIN LATERAL (          -- the lowest z worth sorting (the bounds above, the highest that applies, less
    SELECT CASE WHEN choosing.top_k > 0 THEN '-Infinity'::float8  -- the margin), as a logit: one comparison a token
                ELSE (greatest(
                        CASE WHEN choosing.top_p < 1 - 1e-9
                             THEN ln((1 - choosing.top_p) / (2 * cardinality(logits.logit)) * softmax.total) END,
                        CASE WHEN choosing.min_p > 0 THEN ln(choosing.min_p) END,
                        CASE WHEN {{by_draw}} AND choosing.top_p >= 1 AND choosing.min_p = 0 AND uniform.u <= 1 - 1e-9
                             THEN ln((1 - uniform.u) / (2 * cardinality(logits.logit)) * softmax.total) END,
                        '-Infinity'::float8) - 1e-6 - abs(softmax.z_max) / 1e12 + softmax.z_max) * softmax.temperature
           END AS logit
    OFFSET 0) AS lowest         -- computed once a position, not again for every token it is compared with
  CROSS JOIN LATERAL (
    WITH candidates AS NOT MATERIALIZED (  -- [<=V]: the tokens sampling may keep, most probable first,
      SELECT logit, i, CASE WHEN z > -700 THEN exp(z) ELSE 0 END / softmax.total AS prob  -- each one's
      FROM (SELECT logit, i, logit / softmax.temperature - softmax.z_max AS z  -- probability, computed
            FROM (SELECT logit, i                                               -- as it is read
                  FROM (SELECT unnest(logits.logit) AS logit, generate_subscripts(logits.logit, 1) AS i) AS token_logit
                  WHERE logit >= lowest.logit
                  ORDER BY logit DESC, i
                  LIMIT CASE WHEN choosing.top_k > 0 THEN choosing.top_k END) AS ranked) AS scaled
    ),
    nucleus AS (                -- the top_k renormalized (the sum of all of them, in rank order), and the
      SELECT logit, i, prob      -- running sum of probability before each token: those top_p keeps, and of
      FROM (SELECT logit, i, prob, own, coalesce(sum(prob) OVER (ORDER BY logit DESC, i ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
            FROM (SELECT logit, i, prob AS own, prob / CASE WHEN choosing.top_k > 0 THEN sum(prob) OVER whole ELSE 1 END AS prob
                  FROM candidates  -- them those min_p keeps (own: the probability before any renormalizing)
                  WHERE NOT (choosing.top_k = 0 AND choosing.top_p >= 1 AND choosing.min_p = 0)
                  WINDOW whole AS (ORDER BY logit DESC, i ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) AS top_k) AS ranked
      WHERE (choosing.top_p >= 1 OR before < choosing.top_p)
        AND (choosing.min_p = 0 OR own >= choosing.min_p * (1 / softmax.total))  -- the top token's probability is 1 / total
    ),
    renormalized AS (           -- every token (temperature alone), or the nucleus renormalized; each with
      SELECT logit, i, prob, sum(prob) OVER (ORDER BY logit DESC, i ROWS UNBOUNDED PRECEDING) AS running  -- its
      FROM ((SELECT logit, i, prob FROM candidates  -- running sum
             WHERE choosing.top_k = 0 AND choosing.top_p >= 1 AND choosing.min_p = 0
             ORDER BY logit DESC, i)  -- (as candidates are: this ORDER BY tells the planner so)
            UNION ALL
            (SELECT logit, i, prob / CASE WHEN choosing.top_p < 1 OR choosing.min_p > 0 THEN sum(prob) OVER whole ELSE 1 END AS prob
             FROM nucleus
             WINDOW whole AS (ORDER BY logit DESC, i ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
            ORDER BY logit DESC, i) AS kept
    )
    SELECT (i - 1)::int AS token, (row_number() OVER by_probability)::int AS rank, prob, running,
           -- the first running sum above u, or the last kept token if rounding leaves none
           CASE WHEN running > uniform.u THEN coalesce(lag(running) OVER by_probability, -1) <= uniform.u
                ELSE lead(running) OVER by_probability IS NULL END AS picked
    FROM renormalized
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
