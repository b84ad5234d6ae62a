-- kv_read: each head's key and value of the places cached by earlier statements of this session
-- (the first Tk - T places); attention.sql adds the new positions to them.
-- [] -> [Tk - T, NH, 2*HS]
SELECT place, head AS h, {{prepare_k}} AS k, {{prepare_v}} AS v
FROM gpt2sql.kv_cache
WHERE session = {{session}} AND block = {{block}}
UNION ALL
