-- kv_read: keys and values of the positions cached by earlier statements of this session
-- (the first Tk - T places); attention.sql adds the new positions to them.
-- [] -> [Tk - T, 2*C]
SELECT place, k, v
FROM gpt2sql.kv_cache
WHERE session = {{session}} AND block = {{block}}
UNION ALL
