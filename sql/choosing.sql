-- choosing: how the next token is chosen at the position whose logits choose it (the last
-- position of the one sequence fed): the sampling options of src/reference/sample.ts, the index
-- of the token being chosen, and how many alternatives to report with their log-probabilities
-- (-1: none).
-- Inputs: lnf (t, x), the positions kept; temperature, top_k, top_p, seed, step, logprobs.
-- [1] -> [1]: (t, s, temperature, top_k, top_p, seed, step, logprobs)
--
-- In psql: WITH lnf (t) AS (VALUES (4)) this, {{temperature}} = 1, {{top_k}} = 0, {{top_p}} = 0.9,
--   {{seed}} = 42, {{step}} = 0, {{logprobs}} = -1;
SELECT lnf.t, 0 AS s,
       {{temperature}} AS temperature, {{top_k}} AS top_k, {{top_p}} AS top_p,
       {{seed}} AS seed, {{step}} AS step, {{logprobs}} AS logprobs
FROM lnf
