-- view_next: the candidates for the token after the prompt under sampling options, from the
-- trace's logits at the last position (no forward pass): softmax(logits / temperature) as
-- probs.sql computes it, and which tokens top-k, top-p and min-p keep, renormalized, with their running
-- sum, as sample.sql keeps them before it draws. Temperature 0 is greedy: the first candidate
-- alone is kept, with probability 1 (the others' logits still rank them).
-- Inputs: the trace's logits and tokens; temperature, top_k, top_p and min_p as `complete` takes them;
-- top: how many candidates; vocab of the model's schema.
-- [V] -> [top]
--
-- In psql: what the explorer's "show the SQL" gives, with the trace's schema in place.
WITH
logits AS (                     -- [1, V]: the last position's logits, as the trace computed them, in token order
  SELECT logits.t, array_agg(logits.logit ORDER BY logits.token) AS logit, max(logits.logit) AS max_logit
  FROM {{trace}}.logits
  JOIN (SELECT max(t) AS t FROM {{trace}}.tokens) AS last USING (t)
  GROUP BY logits.t
),
choosing AS (                   -- [1]: the options (greedy ranks by the model's own distribution)
  SELECT max(t) AS t, CASE WHEN {{temperature}} > 0 THEN {{temperature}} ELSE 1 END AS temperature,
         {{top_k}} AS top_k, {{top_p}} AS top_p, {{min_p}} AS min_p, 0::bigint AS seed, 0 AS draw
  FROM {{trace}}.tokens
),
{{probs}},
{{sample}},
greedy AS (                     -- whether the temperature is 0
  SELECT {{temperature}} = 0 AS is_greedy
),
shown AS MATERIALIZED (         -- [top]: the candidates listed, first by probability (a bounded sort)
  SELECT softmax.t, (best.i - 1)::int AS token, best.logit,
         CASE WHEN best.z > -700 THEN exp(best.z) ELSE 0 END / softmax.total AS prob,
         row_number() OVER (ORDER BY best.logit DESC, best.i) AS rank
  FROM softmax
  JOIN logits USING (t)
  CROSS JOIN LATERAL (SELECT logit, i, logit / softmax.temperature - softmax.z_max AS z
                      FROM (SELECT unnest(logits.logit) AS logit, generate_subscripts(logits.logit, 1) AS i) AS token_logit
                      ORDER BY logit DESC, i
                      LIMIT {{top}}) AS best
)
SELECT shown.rank, shown.token, (
         {{detokenize}}
       ) AS text,
       shown.logit,
       CASE WHEN greedy.is_greedy THEN (shown.rank = 1)::int ELSE shown.prob END::float8 AS prob,
       CASE WHEN greedy.is_greedy THEN shown.rank = 1 ELSE kept.token IS NOT NULL END AS kept,
       CASE WHEN greedy.is_greedy THEN (shown.rank = 1)::int ELSE coalesce(kept.prob, 0) END::float8 AS kept_prob,
       CASE WHEN greedy.is_greedy THEN (shown.rank = 1)::int ELSE coalesce(kept.running, 0) END::float8 AS cumulative,
       CASE WHEN greedy.is_greedy THEN 1 ELSE (SELECT count(*) FROM kept) END::int AS kept_count
FROM shown
CROSS JOIN greedy
LEFT JOIN kept USING (t, token)
ORDER BY shown.rank
