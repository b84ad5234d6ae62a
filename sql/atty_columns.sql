-- atty_columns (stage attn): each head's attention output one value at a time, for kernels
-- without an aggregate of their own: the attention weights of a position's places (in place
-- order) and the matrix of their values ([Tk, HS]), then y[i] = Σ_p att[p] · v[p][i], by the
-- kernel's arithmetic, the head's HS values in order (an aggregate takes its rows in the order
-- its FROM gives them, here generate_series's).
-- Inputs: att (t, h, place, v float8[HS], att).
-- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, NH, HS] (rows t, h, y float8[HS])
--
-- In psql: WITH att (t, h, place, v, att) AS (VALUES (0, 0, 0, '{1,2}'::float8[], 0.5),
--   (0, 0, 1, '{3,4}', 0.5)) this, {{head_size}} = 2, {{column_dot}} = (SELECT sum(a * b)
--   FROM unnest(heads.att, heads.v[:][i:i]) AS p(a, b));
SELECT heads.t, heads.h,
       (SELECT array_agg({{column_dot}}) FROM generate_series(1, {{head_size}}) AS i) AS y
FROM (
  SELECT att.t, att.h, array_agg(att.att ORDER BY att.place) AS att, array_agg(att.v ORDER BY att.place) AS v
  FROM att
  GROUP BY att.t, att.h
) AS heads
