-- atty: each head's attention output, sum over places of att * v, value by value in SQL (for
-- kernels without an aggregate of their own), summed in place order as the reference does.
-- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, NH, HS] (rows t, h, i, y)
SELECT att.t, att.h, e.i, sum(att.att * e.v ORDER BY att.place) AS y
FROM att
JOIN kv ON kv.place = att.place AND kv.h = att.h
CROSS JOIN LATERAL unnest(kv.v) WITH ORDINALITY AS e(v, i)
GROUP BY att.t, att.h, e.i
