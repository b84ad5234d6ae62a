-- kv_read: keys and values of the positions cached by earlier statements of this session.
-- [Tk - T, 2*C]
SELECT place, k, v
FROM gpt2sql.kv_cache
WHERE session = {{session}} AND block = {{block}}
UNION ALL
