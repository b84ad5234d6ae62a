-- fed: the positions fed to the forward pass, one row each, for one sequence: t numbers them
-- from 0 in this statement, s is the sequence (0: there is one), place is the position's place in
-- the text (start + t) and token its token id. Every stage after it is keyed by t; embed.sql
-- takes place from here, attention keeps each sequence to itself by s and place.
-- Inputs: ids, the T token ids fed (int[]); start, the place of the first of them (0 for a full
-- pass, the number of positions already cached otherwise).
-- [T] -> [T]: (t, s, place, token)
--
-- In psql: this, {{ids}} = ARRAY[15496, 11], {{start}} = 0;
SELECT (input.t - 1)::int AS t, 0 AS s, {{start}} + (input.t - 1)::int AS place, input.token
FROM unnest({{ids}}) WITH ORDINALITY AS input(token, t)
