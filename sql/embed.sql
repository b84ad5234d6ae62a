-- embed: each position's embedding, the token's plus its place's: wte[token] + wpe[place].
-- Inputs: fed (t, s, place, token); the tables wte (on a sharded model, the rows of the tokens
-- fed only, which the shards send) and wpe.
-- [T] -> [T*C]: one float8[] holding the T rows of C values one after another
--
-- In psql, on a model of the array kernel (its schema on the search_path), after fed.sql as the
--   CTE fed: SELECT cardinality(x) FROM (this, {{wte}} = wte, {{wte_values}} = wte.values) AS encoded;
SELECT array_agg(e.token_value::float8 + e.place_value ORDER BY fed.t, e.i) AS x
FROM fed
JOIN {{wte}} ON wte.token = fed.token
JOIN wpe ON wpe.place = fed.place
CROSS JOIN LATERAL unnest({{wte_values}}, wpe.values) WITH ORDINALITY AS e(token_value, place_value, i)
