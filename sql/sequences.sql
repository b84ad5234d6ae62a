-- sequences: the generation session of each sequence of a batched step, whose keys and values
-- cached by earlier steps attention reads (kv_read.sql) and the new ones kv_save.sql appends.
-- Inputs: sessions (bigint[], one per sequence, in the order of s).
-- [S] -> [S]: (s, session)
--
-- In psql: this, {{sessions}} = ARRAY[1, 2]::bigint[];
SELECT (cached.s - 1)::int AS s, cached.session
FROM unnest({{sessions}}) WITH ORDINALITY AS cached(session, s)
