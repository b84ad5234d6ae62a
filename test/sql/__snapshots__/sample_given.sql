-- sample_given: the sample stage alone, over logits given as a float8[] whose index is the token
-- id (from 0), to test the sampling rules against the reference and to try them in psql.
-- [V] -> [1]: the chosen token, and the kept tokens with their renormalized probabilities
WITH model_logits AS (          -- [1, V]: one position, t = 0, and its largest logit
  SELECT 0 AS t, given.logit, (SELECT max(v) FROM unnest(given.logit) AS v) AS max_logit
  FROM (SELECT $1::float8[] AS logit) AS given
),
lnf AS (                        -- the position that chooses
  SELECT 0 AS t
),
fed AS (                        -- of the one sequence
  SELECT 0 AS t, 0 AS s
),
choosing AS (
  -- choosing: how each sequence chooses its next token, at its last position fed: its own sampling
  -- options (the fields of src/sql/sampling-fields.ts, the rules of src/reference/sample.ts), draw,
  -- the index of the token being drawn in its generation (0 for the first), and how many
  -- alternatives to report with their log-probabilities (-1: none). One generation is a batch of
  -- one: every input is an array with one value per sequence, in the order of s.
  -- Inputs: lnf (t, x), the last position of each sequence; fed (t, s); one array per option.
  -- [S] -> [S]: (t, s, temperature, top_k, top_p, min_p, presence_penalty, frequency_penalty, seed,
  --   draw, logprobs, n)
  SELECT lnf.t, fed.s, options.*
  FROM lnf
  JOIN fed USING (t)
  JOIN unnest($2::float8[], $3::int[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::bigint[], $9::int[], $10::int[])
         WITH ORDINALITY AS options(temperature, top_k, top_p, min_p, presence_penalty, frequency_penalty, seed, draw, logprobs, n)
    ON options.n = fed.s + 1
),
-- penalties: OpenAI's presence and frequency penalties, at each sequence's last position, as
-- src/reference/sample.ts specifies (rule 0): the logit of each token the sequence has generated
-- so far (the prompt's tokens do not count) less presence_penalty, then less frequency_penalty
-- times how many times it was generated. A sequence without penalties, or that has generated
-- nothing yet, keeps the model's logits as they are: its array is not rebuilt.
-- Inputs: model_logits (t, logit float8[V], max_logit); choosing (t, s, presence_penalty,
-- frequency_penalty); the tokens each sequence has generated, rows (s, token), one per time.
-- [T', V] -> [T', V]: (t, logit, max_logit)
generated_count AS (            -- [S, <=n]: how many times each sequence generated each token
  SELECT generated.s, generated.token, count(*) AS count
  FROM (SELECT generated.s, generated.token FROM unnest($11::int[], $12::int[]) AS generated(s, token)) AS generated
  GROUP BY generated.s, generated.token
),
logits AS (                     -- [T', V]: the logits sampling reads
  SELECT model_logits.t, coalesce(penalized.logit, model_logits.logit) AS logit,
         coalesce((SELECT max(v) FROM unnest(penalized.logit) AS v), model_logits.max_logit) AS max_logit
  FROM model_logits
  JOIN choosing USING (t)
  LEFT JOIN LATERAL (
    SELECT array_agg(CASE WHEN generated_count.count IS NULL THEN token_logit.logit
                          ELSE token_logit.logit - choosing.presence_penalty
                               - choosing.frequency_penalty * generated_count.count END
                     ORDER BY token_logit.i) AS logit
    FROM unnest(model_logits.logit) WITH ORDINALITY AS token_logit(logit, i)
    LEFT JOIN generated_count ON generated_count.s = choosing.s AND generated_count.token = token_logit.i - 1
    WHERE choosing.presence_penalty <> 0 OR choosing.frequency_penalty <> 0
    HAVING count(generated_count.token) > 0
  ) AS penalized ON true
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
  CROSS JOIN LATERAL (SELECT logits.max_logit / choosing.temperature AS z_max
                      OFFSET 0) AS scaled  -- divided once, not again for every token
  CROSS JOIN LATERAL (
    SELECT sum(CASE WHEN v.z - scaled.z_max > -700 THEN exp(v.z - scaled.z_max) ELSE 0 END) AS total
    FROM (SELECT unnest(logits.logit) / choosing.temperature AS z) AS v  -- in token order
  ) AS sums
),
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
                        CASE WHEN false AND choosing.top_p >= 1 AND choosing.min_p = 0 AND uniform.u <= 1 - 1e-9
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
SELECT (SELECT token FROM chosen) AS token,
       (SELECT array_agg(token ORDER BY rank) FROM kept) AS kept_tokens,
       (SELECT array_agg(prob ORDER BY rank) FROM kept) AS kept_probs
