-- embed: each new token's embedding plus its position's embedding, wte[token] + wpe[place].
-- Inputs: ids, the T token ids fed (int[]); start, the place of the first of them, that is the
-- number of positions already cached (0 for a full pass); the tables wte and wpe.
-- [T] -> [T*C]: one float8[] holding the T rows of C values one after another
--
-- In psql, on a model of the array kernel (its schema on the search_path), as the CTE encoded:
--   SELECT cardinality(x) FROM (this, {{ids}} = ARRAY[15496, 11], {{start}} = 0,
--   {{wte_values}} = wte.values) AS encoded;
SELECT array_agg(e.token_value::float8 + e.place_value ORDER BY input.t, e.i) AS x
FROM unnest({{ids}}) WITH ORDINALITY AS input(token, t)
JOIN wte ON wte.token = input.token
JOIN wpe ON wpe.place = {{start}} + input.t - 1
CROSS JOIN LATERAL unnest({{wte_values}}, wpe.values) WITH ORDINALITY AS e(token_value, place_value, i)
