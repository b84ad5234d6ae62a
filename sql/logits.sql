-- logits: each position's final hidden state against every token's embedding, lnf @ lm_headᵀ
-- (lm_head is a view over wte when the head is tied): one dot product per token, by the model's
-- kernel. As in linear.sql, the activations are prepared once, into one array that parallel
-- workers scanning lm_head share.
-- Inputs: lnf (t, x float8[C]); lm_head.
-- [T, C] -> [T, V]
--
-- In psql, on a model of the array kernel (its schema on the search_path):
--   WITH lnf (t, x) AS (SELECT 0, ARRAY(SELECT random() FROM generate_series(1, 768))) SELECT *
--   FROM (this, {{prepare}} = lnf.x, {{dot}} = gpt2sql.dot(lm_head.values, position.x)) AS logits
--   ORDER BY logit DESC LIMIT 5;
WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
  SELECT array_agg(ROW(lnf.t, 0, {{prepare}})::position_activation ORDER BY lnf.t) AS x
  FROM lnf
)
SELECT position.t, lm_head.token,
       {{dot}} AS logit
FROM lm_head
-- each token's row against every position (the CASE: see linear.sql)
CROSS JOIN LATERAL unnest(CASE WHEN lm_head.token >= 0 THEN (SELECT x FROM activation) END) AS position
