-- step_tokens_kv: what a batched step returns, rows of two kinds: for each sequence s, the token
-- chosen and its bytes (rank 0; with logprobs, its log-probability, and ranks 1 to logprobs the
-- most probable tokens with theirs, from step_logprobs.sql); and for each block, the keys and
-- values of every new position (k and v, [T*C] each), for kv_save.sql to append to the cache.
-- Each kind leaves the other's columns NULL: the tokens are not repeated on every block's row.
-- [S], [n_layer, 2, T*C] -> [S * (1 + logprobs) + n_layer]
--
-- In psql: the end of step.sql, after sample.sql's CTE chosen.
SELECT choosing.s, tokens.rank, tokens.token, vocab.bytes, tokens.logprob,
       NULL::int AS block, NULL::float8[] AS k, NULL::float8[] AS v
FROM (
  {{tokens}}
) AS tokens
JOIN choosing USING (t)
LEFT JOIN vocab USING (token)
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, new_kv.block, new_kv.k, new_kv.v
FROM (
  {{new_kv}}
) AS new_kv
