-- attn_q (stage attn, 1 of 5): causal self-attention starts by cutting each new position's
-- query out of qkv, one row per position and head, converted once to the type the kernel's
-- q·k takes, with the position's sequence and place, which say what it may attend to. (Then
-- attn_kv, attn_scores, attn_softmax and atty: all heads at once.)
-- Inputs: qkv (t, x float8[3*C]): q, k and v of the new positions side by side; fed (t, s, place).
-- [T, 3*C] -> [T, NH, HS]
--
-- In psql: WITH fed (t, s, place) AS (VALUES (0, 0, 0)), qkv (t, x) AS (SELECT 0, ARRAY(SELECT
--   random() FROM generate_series(1, 6))) this, {{n_head}} = 2,
--   {{q}} = qkv.x[head.h * 1 + 1 : (head.h + 1) * 1];
SELECT qkv.t, fed.s, fed.place, head.h, {{q}} AS q
FROM qkv
JOIN fed USING (t)
CROSS JOIN generate_series(0, {{n_head}} - 1) AS head(h)
