-- view_head: one head's attention weights, exactly as the trace keeps them: row t (the query)
-- has a weight for each position s <= t (the key), summing to 1.
-- Inputs: the trace's att; the block and the head, counting from 0.
-- [NL, NH, T, <=T] -> [T, <=T]
--
-- In psql: what the explorer's "show the SQL" gives, with the trace's schema in place.
SELECT t, s, weight
FROM {{trace}}.att
WHERE block = {{block}} AND head = {{head}}
ORDER BY t, s
