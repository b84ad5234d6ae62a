-- attn_scores (stage attn, 3 of 5): preatt = q·k / sqrt(HS), each new position's query against
-- the key of every place of its own sequence up to and including its own (the causal mask:
-- place <= the query's), computed by the kernel's q·k. Each score carries its place's value
-- along, so att @ v reads them in place order without a join.
-- Inputs: q (t, s, place, h, q) and kv (s, place, h, k, v).
-- [T, NH, HS] x [Tk, NH, HS] -> [T, NH, <=Tk]
--
-- In psql: after attn_q.sql and attn_kv.sql as CTEs q and kv, with {{head_size}} = HS and
-- {{dot}} = (SELECT sum(a * b) FROM unnest(kv.k, q.q) AS p(a, b)) for float8[] heads.
SELECT q.t, q.h, kv.place, kv.v, {{dot}} / sqrt({{head_size}}) AS preatt
FROM q
JOIN kv ON kv.s = q.s AND kv.h = q.h AND kv.place <= q.place
