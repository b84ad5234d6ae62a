-- kv_read: each head's key and value of the places cached by earlier statements of this session
-- (the first Tk - T places), stored as attention uses them; attention.sql adds the new positions.
-- [] -> [Tk - T, NH, 2*HS]
SELECT place, head AS h, k, v
FROM kv_cache
WHERE session = {{session}} AND block = {{block}}
UNION ALL
