-- atty_sum: each head's attention output, sum over places of att * v, as one aggregate of the
-- {{kernel}} kernel per position and head, in place order.
-- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, NH, HS] (rows t, h, i, y)
SELECT heads.t, heads.h, e.i, e.y
FROM (
  SELECT att.t, att.h, {{weighted_sum}} AS y
  FROM att
  GROUP BY att.t, att.h
) AS heads
CROSS JOIN LATERAL unnest(heads.y) WITH ORDINALITY AS e(y, i)
