-- trace_end: the final layer norm (from the temporary table trace_stage.sql made of the part
-- lnf), the logits of every position (logits.sql over it) and each position's probabilities
-- (probs.sql at temperature 1, once per position in a LATERAL subquery).
-- [T, C] -> [T, V] -> [T, V]
--
-- In psql: part of what `gpt2sql trace` runs, in one transaction (src/trace/).
INSERT INTO {{trace}}.lnf SELECT t, x FROM lnf;
INSERT INTO {{trace}}.logits (t, token, logit)
SELECT t, token, logit
FROM (
  {{logits}}
) AS logits;
ALTER TABLE {{trace}}.logits ADD PRIMARY KEY (t, token);  -- after the rows: faster than row by row
INSERT INTO {{trace}}.probs
SELECT position.t, softmax.token, softmax.prob
FROM {{trace}}.tokens AS position
CROSS JOIN LATERAL (
  WITH logits AS (
    SELECT token, logit FROM {{trace}}.logits WHERE t = position.t
  ),
  {{probs}}
  SELECT token, prob FROM probs
) AS softmax;
ALTER TABLE {{trace}}.probs ADD PRIMARY KEY (t, token);
