-- logits: each position's final hidden state against every token's embedding, lnf @ lm_headᵀ
-- (lm_head is a view over wte when the head is tied): one dot product per token, by the model's
-- kernel. As in linear.sql, each token's row is read once and computes its products with W
-- positions in the columns of one output row, the positions' activations prepared once into one
-- array per lane; each position's logits are then one float8[V] in token order (the logit of
-- token k is logit[k + 1]), which sampling, log-probabilities and scoring read without a join,
-- and their largest, found in the same pass: greedy takes the first token that has it
-- (array_position), softmax and log_softmax subtract it.
-- Inputs: lnf (t, x float8[C]); lm_head.
-- [T, C] -> [T, V]: (t, logit float8[V], max_logit)
--
-- In psql, on a model of the array kernel (its schema on the search_path), for one position:
--   WITH lnf (t, x) AS (SELECT 0, ARRAY(SELECT random() FROM generate_series(1, 768))) SELECT t,
--   cardinality(logit) FROM (this, with the fills of linear.sql's example, {{products}} =
--   gpt2sql.dot(lm_head.values, ((SELECT lane_1 FROM activation)[lanes.g]).x) AS y1) AS logits;
WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
  SELECT (count(*)::int + {{width}} - 1) / {{width}} AS groups,
         {{lanes}}
  FROM (SELECT lnf.t, {{prepare}} AS x, (row_number() OVER (ORDER BY lnf.t) - 1)::int AS n
        FROM lnf) AS position
)
SELECT position.t, position.x AS logit, position.m AS max_logit
FROM (
  SELECT {{group}},               -- each lane's logits, in token order
         {{columns}}
  FROM (
    SELECT lm_head.token, lanes.g, -- [V, T]: each token's products with W positions, in one row
           {{products}}
    FROM lm_head
    CROSS JOIN LATERAL {{groups}} AS lanes (g)
    ORDER BY lanes.g, lm_head.token  -- one group: the primary key's order, read in it (no sort)
    OFFSET 0                         -- a subquery of its own: the products computed where the rows are read
  ) AS by_token
  {{grouping}}
  OFFSET 0                         -- the lanes' outputs made before any is looked at
) AS columns
CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
  {{positions}}
) AS position (t, x, m)
{{filled}}
