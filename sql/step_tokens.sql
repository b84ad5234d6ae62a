-- step_tokens: what a batched step returns when it has appended the new keys and values to the
-- caches itself: for each sequence s, the token chosen and its bytes (rank 0; with logprobs, its
-- log-probability, and ranks 1 to logprobs the most probable tokens with theirs, from
-- step_logprobs.sql), by sequence and rank.
-- [S] -> [S * (1 + logprobs)]
--
-- In psql: the end of step.sql, after sample.sql's CTE chosen.
SELECT choosing.s, tokens.rank, tokens.token, vocab.bytes, tokens.logprob
FROM (
  {{tokens}}
) AS tokens
JOIN choosing USING (t)
LEFT JOIN vocab USING (token)
ORDER BY choosing.s, tokens.rank
