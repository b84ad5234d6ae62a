-- fed_batch: the positions of several generations fed to one forward pass (a batched step), one
-- row each: t numbers them from 0 across the batch, s is the generation's index in the batch,
-- place its place in that generation's text. A generation's positions are consecutive, in place
-- order: a prompt being prefilled has all of its positions, a generation in progress the one
-- token chosen by the step before. Every weight row is read once for all of them; attention
-- keeps each generation to its own places (attn_scores.sql joins on s).
-- Inputs: ids, places, seqs (int[] each, one value per position): its token, its place, its
-- generation (0-based).
-- [T] -> [T]: (t, s, place, token)
--
-- In psql: this, {{ids}} = ARRAY[15496, 11, 464], {{places}} = ARRAY[0, 1, 7],
--   {{seqs}} = ARRAY[0, 0, 1];
SELECT (input.t - 1)::int AS t, input.s, input.place, input.token
FROM unnest({{ids}}, {{places}}, {{seqs}}) WITH ORDINALITY AS input(token, place, s, t)
