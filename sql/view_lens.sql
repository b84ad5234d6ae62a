-- view_lens: the logit lens at the last position (trace_lens.sql): for each block, the 5 tokens
-- its output would make most probable through ln_f and the output head, rank 1 first.
-- Inputs: the trace's lens and tokens.
-- [NL, T', 5] -> [NL, 5]
--
-- In psql: what the explorer's "show the SQL" gives, with the trace's schema in place.
SELECT block, rank, token, text, logit, prob
FROM {{trace}}.lens
WHERE t = (SELECT max(t) FROM {{trace}}.tokens)
ORDER BY block, rank
