-- logits: each position's final hidden state against every token's embedding, lnf @ lm_headᵀ
-- (lm_head is a view over wte when the head is tied): one dot product per token, by the
-- {{kernel}} kernel.
-- Inputs: lnf (t, x float8[C]).
-- [T, C] -> [T, V]
WITH activation AS MATERIALIZED (  -- the activation in the kernel's type, converted once per position
  SELECT t, {{prepare}} AS x
  FROM lnf
)
SELECT activation.t, lm_head.token, {{dot}} AS logit
FROM activation
CROSS JOIN lm_head
