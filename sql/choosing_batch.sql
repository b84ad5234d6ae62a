-- choosing_batch: how each generation of a batched step chooses its next token, at the last
-- position fed of its sequence: its own sampling options (src/reference/sample.ts), the index of
-- the token being chosen, and how many alternatives to report with their log-probabilities
-- (-1: none).
-- Inputs: lnf (t, x), the last position of each sequence; fed (t, s); temperatures, top_ks,
-- top_ps, seeds, steps, logprobs: arrays with one value per sequence, in the order of s.
-- [S] -> [S]: (t, s, temperature, top_k, top_p, seed, step, logprobs)
--
-- In psql: after fed_batch.sql and lnf, this, {{temperatures}} = ARRAY[0, 0.8], …
SELECT lnf.t, fed.s,
       o.temperature, o.top_k, o.top_p, o.seed, o.step, o.logprobs
FROM lnf
JOIN fed USING (t)
JOIN unnest({{temperatures}}, {{top_ks}}, {{top_ps}}, {{seeds}}, {{steps}}, {{logprobs}})
       WITH ORDINALITY AS o(temperature, top_k, top_p, seed, step, logprobs, n)
  ON o.n = fed.s + 1
