-- logits: each position's final hidden state against every token's embedding, lnf @ lm_headᵀ
-- (lm_head is a view over wte when the head is tied): one dot product per token, by the
-- {{kernel}} kernel.
-- Inputs: lnf (t, x float8[C]).
-- [T, C] -> [T, V]
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
