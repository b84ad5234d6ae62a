-- trace_end: the final layer norm and the logits (from the temporary tables trace_stage.sql made
-- of transformer.sql's lnf and of logits.sql) into the trace, and each position's probabilities:
-- probs.sql at temperature 1, run once per position in a LATERAL subquery.
-- [T, C] -> [T, V] -> [T, V]
INSERT INTO {{trace}}.lnf SELECT t, x FROM lnf;
INSERT INTO {{trace}}.logits SELECT t, token, logit FROM logits;
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
