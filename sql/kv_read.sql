-- kv_read (stage attn): each head's key and value of the places cached by earlier statements of
-- each sequence's generation session (the first Tk - T places of each), stored as attention uses
-- them, followed by the new positions' (attn_kv.sql adds them after the UNION ALL).
-- Inputs: sequences (s, session); the block being computed; kv_cache, in the model's schema.
-- [] -> [Tk - T, NH, 2*HS]
--
-- In psql: SELECT place, head, k, v FROM kv_cache WHERE session = 1 AND block = 0;
SELECT sequences.s, kv_cache.place, kv_cache.head AS h, kv_cache.k, kv_cache.v
FROM sequences
JOIN kv_cache ON kv_cache.session = sequences.session
WHERE kv_cache.block = {{block}}
UNION ALL
