-- logits_shared: logits.sql (each position's logits, lnf @ lm_headᵀ, and the largest) for more
-- positions than a token's row meets at once, in a statement whose scans parallel workers share:
-- each token's row is read once and meets every group of W positions, as in linear_shared.sql.
-- Inputs: lnf (t, x float8[C]); lm_head.
-- [T, C] -> [T, V]: (t, logit float8[V], max_logit)
--
-- In psql: `gpt2sql sql complete` prints it filled in (its positions come in groups); or as
--   linear_shared.sql's example over lm_head, with {{columns}} = array_agg(by_token.y1) AS x1,
--   max(by_token.y1) AS m1.
WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
  SELECT (count(*)::int + {{width}} - 1) / {{width}} AS groups,
         {{lanes}}
  FROM (SELECT lnf.t, {{prepare}} AS x, (row_number() OVER (ORDER BY lnf.t) - 1)::int AS n
        FROM lnf) AS position
)
SELECT position.t, position.x AS logit, position.m AS max_logit
FROM (
  SELECT by_token.g,               -- each lane's logits, in token order
         {{columns}}
  FROM (
    SELECT lm_head.token, lanes.g, -- [V, T]: each token's products with W positions, in one row
           {{products}}
    FROM lm_head
    CROSS JOIN LATERAL {{groups}} AS lanes (g)
    ORDER BY lanes.g, lm_head.token  -- by group, each in token order
    OFFSET 0                         -- a subquery of its own: the products computed where the rows are read
  ) AS by_token
  GROUP BY by_token.g
  OFFSET 0                         -- the lanes' outputs made before any is looked at
) AS columns
CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
  {{positions}}
) AS position (t, x, m)
{{filled}}
