-- step_logprobs: the token each sequence chose (rank 0) and, for the sequences that ask for
-- logprobs, its log-probability under the model's own distribution (log_softmax.sql: temperature
-- 1, every token, before top-k and top-p) and the `logprobs` most probable tokens with theirs
-- (ranks 1, 2, …: logit descending, ties to the lower id), as OpenAI's API reports them. The
-- others get a NULL logprob and no alternatives: their logits are not summed.
-- Inputs: logits (t, token, logit), chosen (t, token), choosing (t, logprobs).
-- [T', V] -> [T' * (1 + logprobs)]: (t, rank, token, logprob)
--
-- In psql: the end of step.sql, after sample.sql's CTE chosen.
WITH logits AS (                -- [T'', V]: the logits of the sequences that ask for logprobs
  SELECT logits.t, logits.token, logits.logit
  FROM logits
  JOIN choosing USING (t)
  WHERE choosing.logprobs >= 0
),
{{log_softmax}},
alternatives AS (               -- [T'', V]: rank 1 is the most probable
  SELECT t, token, logprob, (row_number() OVER (PARTITION BY t ORDER BY logit DESC, token))::int AS rank
  FROM logprobs
)
SELECT chosen.t, 0 AS rank, chosen.token, logprobs.logprob
FROM chosen
LEFT JOIN logprobs USING (t, token)
UNION ALL
SELECT alternatives.t, alternatives.rank, alternatives.token, alternatives.logprob
FROM alternatives
JOIN choosing USING (t)
WHERE alternatives.rank <= choosing.logprobs
