-- trace_end: the final layer norm (from the temporary table trace_stage.sql made of the part
-- lnf), the logits of the traced positions (logits.sql over it: every position, or only the
-- last one when the trace says so) and their probabilities (probs.sql at temperature 1).
-- [T, C] -> [T', V] -> [T', V]
--
-- In psql: part of what `gpt2sql trace` runs, in one transaction (src/trace/).
INSERT INTO {{trace}}.lnf SELECT t, x FROM lnf;
DELETE FROM lnf WHERE NOT ({{kept}});  -- the positions that get no logits
INSERT INTO {{trace}}.logits (t, token, logit)
SELECT t, token, logit
FROM (
  {{logits}}
) AS logits;
ALTER TABLE {{trace}}.logits ADD PRIMARY KEY (t, token);  -- after the rows: faster than row by row
INSERT INTO {{trace}}.probs
WITH logits AS (
  SELECT t, token, logit FROM {{trace}}.logits
),
choosing AS (                   -- the model's own distribution at every position
  SELECT t, 1::float8 AS temperature FROM {{trace}}.tokens
),
{{probs}}
SELECT t, token, prob FROM probs;
ALTER TABLE {{trace}}.probs ADD PRIMARY KEY (t, token);
-- Statistics now, not when autovacuum comes by: a query over these tables (the explorer's
-- view_next.sql, sample.sql's joins) is planned with their real sizes, not a guess of a few
-- hundred rows, which leads the planner to nested loops over the whole vocabulary.
ANALYZE {{trace}}.logits;
ANALYZE {{trace}}.probs;
