-- step_logprobs: the token each sequence chose (rank 0) and, for the sequences that ask for
-- logprobs, its log-probability under the model's own distribution (log_softmax.sql: temperature
-- 1, every token, before top-k and top-p) and the `logprobs` most probable tokens with theirs
-- (ranks 1, 2, …: logit descending, ties to the lower id, a bounded sort of `logprobs` rows), as
-- OpenAI's API reports them. The others get a NULL logprob and no alternatives: their logits
-- are not summed.
-- The model's own: its logits before the penalties too (model_logits, as vLLM reports them).
-- Inputs: model_logits (t, logit float8[V], max_logit), chosen (t, token), choosing (t, logprobs).
-- [T', V] -> [T' * (1 + logprobs)]: (t, rank, token, logprob)
--
-- In psql: the end of step.sql, after sample.sql's CTE chosen.
WITH logits AS (                -- [T'', V]: the logits of the sequences that ask for logprobs
  SELECT model_logits.t, model_logits.logit, model_logits.max_logit
  FROM model_logits
  JOIN choosing USING (t)
  WHERE choosing.logprobs >= 0
),
{{log_softmax}}
SELECT chosen.t, 0 AS rank, chosen.token, logsumexp.logit[chosen.token + 1] - logsumexp.lse AS logprob
FROM chosen
LEFT JOIN logsumexp USING (t)
UNION ALL
SELECT logsumexp.t, alternatives.rank, alternatives.token, alternatives.logit - logsumexp.lse
FROM logsumexp
JOIN choosing USING (t)
CROSS JOIN LATERAL (            -- [logprobs]: rank 1 is the most probable
  SELECT (top.i - 1)::int AS token, top.logit, (row_number() OVER (ORDER BY top.logit DESC, top.i))::int AS rank
  FROM (SELECT logit, i
        FROM (SELECT unnest(logsumexp.logit) AS logit, generate_subscripts(logsumexp.logit, 1) AS i) AS token_logit
        ORDER BY logit DESC, i
        LIMIT choosing.logprobs) AS top
) AS alternatives
