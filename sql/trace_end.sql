-- trace_end: the final layer norm (from the temporary table trace_stage.sql made of the part
-- lnf), the logits of the traced positions (logits.sql over it: every position, or only the
-- last one when the trace says so) and their probabilities (probs.sql at temperature 1), one row
-- per position and token.
-- [T, C] -> [T', V] -> [T', V]
--
-- In psql: part of what `gpt2sql trace` runs, in one transaction (src/trace/).
INSERT INTO {{trace}}.lnf SELECT t, x FROM lnf;
DELETE FROM lnf WHERE NOT ({{kept}});  -- the positions that get no logits
DROP TABLE IF EXISTS pg_temp.logits;
CREATE TEMP TABLE logits ON COMMIT DROP AS  -- [T', V]: each position's logits, one float8[V]
{{logits}};
INSERT INTO {{trace}}.logits (t, token, logit)
SELECT logits.t, (token_logit.i - 1)::int, token_logit.logit
FROM logits
CROSS JOIN unnest(logits.logit) WITH ORDINALITY AS token_logit(logit, i);
ALTER TABLE {{trace}}.logits ADD PRIMARY KEY (t, token);  -- after the rows: faster than row by row
INSERT INTO {{trace}}.probs
WITH choosing AS (              -- the model's own distribution at every position
  SELECT t, 1::float8 AS temperature FROM logits
),
{{probs}}
SELECT softmax.t, (token_logit.i - 1)::int,
       CASE WHEN token_logit.logit - softmax.z_max > -700 THEN exp(token_logit.logit - softmax.z_max) ELSE 0 END / softmax.total
FROM softmax
JOIN logits USING (t)
CROSS JOIN unnest(logits.logit) WITH ORDINALITY AS token_logit(logit, i);
ALTER TABLE {{trace}}.probs ADD PRIMARY KEY (t, token);
-- Statistics now, not when autovacuum comes by: a query over these tables (the explorer's
-- view_next.sql, sample.sql's joins) is planned with their real sizes, not a guess of a few
-- hundred rows, which leads the planner to nested loops over the whole vocabulary.
ANALYZE {{trace}}.logits;
ANALYZE {{trace}}.probs;
