-- choosing: how each sequence chooses its next token, at its last position fed: its own sampling
-- options (the fields of src/sql/sampling-fields.ts, the rules of src/reference/sample.ts), draw,
-- the index of the token being drawn in its generation (0 for the first), and how many
-- alternatives to report with their log-probabilities (-1: none). One generation is a batch of
-- one: every input is an array with one value per sequence, in the order of s.
-- Inputs: lnf (t, x), the last position of each sequence; fed (t, s); one array per option.
-- [S] -> [S]: (t, s, temperature, top_k, top_p, min_p, presence_penalty, frequency_penalty, seed,
--   draw, logprobs, n)
--
-- In psql: after fed.sql and lnf, this, with {{arrays}} = ARRAY[0.8], ARRAY[40], ARRAY[1],
--   ARRAY[0], ARRAY[0], ARRAY[0], ARRAY[42], ARRAY[0], ARRAY[-1] and {{columns}} their names.
SELECT lnf.t, fed.s, options.*
FROM lnf
JOIN fed USING (t)
JOIN unnest({{arrays}})
       WITH ORDINALITY AS options({{columns}}, n)
  ON options.n = fed.s + 1
