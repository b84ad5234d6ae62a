-- logits: each position's final hidden state against every token's embedding, lnf @ lm_headᵀ
-- (lm_head is a view over wte when the head is tied): one dot product per token, by the model's
-- kernel. As in linear.sql, each token's row is read once and computes its products with up to W
-- positions in the columns of one output row, the positions' activations prepared once into one
-- array per lane (more positions: logits_shared.sql, each row read once for all of their groups);
-- each position's logits are then one float8[V] in token order (the logit of
-- token k is logit[k + 1]), which sampling, log-probabilities and scoring read without a join,
-- and their largest, found in the same pass: greedy takes the first token that has it
-- (array_position), softmax and log_softmax subtract it.
-- Inputs: lnf (t, x float8[C]); lm_head.
-- [T, C] -> [T, V]: (t, logit float8[V], max_logit)
--
-- In psql, on a model of the array kernel (its schema on the search_path), for one position:
--   WITH lnf (t, x) AS (SELECT 0, ARRAY(SELECT random() FROM generate_series(1, 768))) SELECT t,
--   cardinality(logit) FROM (this, with the fills of linear.sql's example but {{prepare}} =
--   lnf.x, {{products}} = gpt2sql.dot(lm_head.values, (SELECT (lane_1[1]).x FROM activation)) AS
--   y1, {{columns}} = array_agg(by_token.y1) AS x1, max(by_token.y1) AS m1, {{positions}} =
--   (lane.t1, columns.x1, columns.m1)) AS logits;
WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
  SELECT (count(*)::int + {{width}} - 1) / {{width}} AS groups,
         {{lanes}}
  FROM (SELECT lnf.t, {{prepare}} AS x, (row_number() OVER (ORDER BY lnf.t) - 1)::int AS n
        FROM lnf) AS position
)
SELECT position.t, position.x AS logit, position.m AS max_logit  -- for each group of W positions:
FROM {{groups}} AS lanes (g)
CROSS JOIN LATERAL (               -- the group's positions and activations, taken out of the lanes once
  SELECT
    {{group_values}}
  FROM activation
  OFFSET 0                         -- computed once a group, not again for every row read
) AS lane
CROSS JOIN LATERAL (
  SELECT                           -- each lane's logits, in token order, and the largest
    {{columns}}
  FROM (
    SELECT lm_head.token,          -- [V, W]: each token's products with the group's positions, in one row
           {{products}}
    FROM lm_head
    ORDER BY lm_head.token         -- the primary key's order, read in it (no sort)
    OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
  ) AS by_token
) AS columns
CROSS JOIN LATERAL (VALUES        -- each lane's position, logits and largest logit
  {{positions}}
) AS position (t, x, m)
{{filled}}
