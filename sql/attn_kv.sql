-- attn_kv (stage attn, 2 of 5): each head's key and value of every place a new position may
-- attend to, with its sequence: the places cached by earlier statements of each generation
-- (kv_read.sql), then the new positions' own, cut out of qkv, in the types the kernel's
-- arithmetic takes.
-- Inputs: qkv (t, x float8[3*C]); fed (t, s, place).
-- [T, 3*C] -> [Tk, NH, 2*HS]
--
-- In psql: as attn_q.sql, with {{cached}} empty and {{k}}, {{v}} the slices.
{{cached}}
SELECT fed.s, fed.place, head.h,
       {{k}} AS k,
       {{v}} AS v
FROM qkv
JOIN fed USING (t)
CROSS JOIN generate_series(0, {{n_head}} - 1) AS head(h)
