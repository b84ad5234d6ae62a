-- attn_kv (stage attn, 2 of 5): each head's key and value of every place a new position may
-- attend to: the places cached by earlier statements of this generation (kv_read.sql), then the
-- new positions' own, cut out of qkv, in the types the kernel's arithmetic takes.
-- Inputs: qkv (t, x float8[3*C]); start, the number of places already cached.
-- [T, 3*C] -> [Tk, NH, 2*HS]
--
-- In psql: as attn_q.sql, with {{cached}} empty, {{start}} = 0 and {{k}}, {{v}} the slices.
{{cached}}
SELECT {{start}} + qkv.t AS place, head.h,
       {{k}} AS k,
       {{v}} AS v
FROM qkv
CROSS JOIN generate_series(0, {{n_head}} - 1) AS head(h)
