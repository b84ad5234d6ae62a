-- kv_read (stage attn): each head's key and value of the places cached by earlier statements of
-- this generation session (the first Tk - T places), stored as attention uses them, followed by
-- the new positions' (attn_kv.sql adds them after the UNION ALL).
-- Inputs: session; the block being computed; kv_cache, in the model's schema.
-- [] -> [Tk - T, NH, 2*HS]
--
-- In psql: SELECT place, head, k, v FROM kv_cache WHERE session = 1 AND block = 0;
SELECT place, head AS h, k, v
FROM kv_cache
WHERE session = {{session}} AND block = {{block}}
UNION ALL
