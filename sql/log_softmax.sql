-- log_softmax: each position's log-probabilities over the vocabulary under the model's own
-- distribution (temperature 1, every token): logprob = logit - logsumexp(logits of the position),
-- logsumexp computed as max + ln(sum(exp(logit - max))), so exp() never overflows and the largest
-- term is 1; the sum runs in token order (the order of the position's logit array), as the
-- reference's. A token's logprob is then one subtraction, logit[token + 1] - lse: nothing is
-- made per token. exp() of less than -700 is taken as 0 (e^-700 is 1e-304, nothing beside the 1
-- of the maximum): PostgreSQL reports an underflow as an error where IEEE arithmetic gives 0 (see
-- "Numerics" in sql/README.md). A token's logprob is exact however far below the maximum it is:
-- only the sum drops such terms.
-- Inputs: logits (t, logit float8[V], max_logit), one row per position t.
-- [T, V] -> [T]: (t, logit, lse)
--
-- In psql: WITH logits (t, logit, max_logit) AS (VALUES (0, '{2.0, 1.0, -800.0}'::float8[], 2.0),
--   (1, '{0.5, 0.5}', 0.5)), this SELECT t, logit[1] - lse AS logprob_of_token_0 FROM logsumexp ORDER BY t;
logsumexp AS (                  -- [T]: max + ln(sum(exp(logit - max))) of each position, beside its logits
  SELECT logits.t, logits.logit, logits.max_logit + ln(sums.total) AS lse
  FROM logits
  CROSS JOIN LATERAL (
    SELECT sum(CASE WHEN v.logit - logits.max_logit > -700 THEN exp(v.logit - logits.max_logit) ELSE 0 END) AS total
    FROM (SELECT unnest(logits.logit) AS logit) AS v  -- in token order
  ) AS sums
)
