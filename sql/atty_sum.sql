-- atty_sum (stage attn): each head's attention output, the sum over places of att * v, as one
-- aggregate of the kernel (pgvector's sum of vectors) per position and head, in place order.
-- Inputs: att (t, h, place, v, att).
-- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, NH, HS] (rows t, h, y float8[HS])
--
-- In psql: WITH att (t, h, place, v, att) AS (VALUES (0, 0, 0, '[1,2]'::vector, 0.5),
--   (0, 0, 1, '[3,4]', 0.5)) this, {{weighted_sum}} = sum(att.v * array_fill(att.att,
--   ARRAY[2])::vector ORDER BY att.place)::real[]::float8[];
SELECT att.t, att.h, {{weighted_sum}} AS y
FROM att
GROUP BY att.t, att.h
