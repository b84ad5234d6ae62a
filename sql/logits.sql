-- logits: each position's final hidden state against every token's embedding, lnf @ lm_headᵀ
-- (lm_head is a view over wte when the head is tied): one dot product per token, by the model's
-- kernel.
-- Inputs: lnf (t, x float8[C]); lm_head.
-- [T, C] -> [T, V]
--
-- In psql, on a model of the array kernel (its schema on the search_path):
--   WITH lnf (t, x) AS (SELECT 0, ARRAY(SELECT random() FROM generate_series(1, 768))) SELECT *
--   FROM (this, {{prepare}} = x, {{dot}} = (SELECT sum(a * b) FROM unnest(lm_head.values,
--   activation.x) AS p(a, b))) AS logits ORDER BY logit DESC LIMIT 5;
WITH activation AS MATERIALIZED (  -- the activation in the kernel's type, converted once per position
  SELECT t, {{prepare}} AS x
  FROM lnf
)
SELECT position.t, lm_head.token, position.logit
FROM lm_head
CROSS JOIN LATERAL (               -- each token's row is read once, against every position
  SELECT activation.t,
         {{dot}} AS logit
  FROM activation
  OFFSET 0
) AS position
