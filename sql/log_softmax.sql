-- log_softmax: each position's log-probabilities over the vocabulary under the model's own
-- distribution (temperature 1, every token): logprob = logit - logsumexp(logits of the position),
-- logsumexp computed as max + ln(sum(exp(logit - max))), so exp() never overflows and the largest
-- term is 1; the sum runs in token order, as the reference's. Both are window aggregates over the
-- whole position, rows sorted once by (t, token), the order the sum needs: no join, no second
-- sort (a GROUP BY joined back sorted the T*V rows twice). exp() of less than -700 is taken as
-- 0 (e^-700 is 1e-304, nothing beside the 1 of the maximum): PostgreSQL reports an underflow as an
-- error where IEEE arithmetic gives 0 (see "Numerics" in sql/README.md). A token's logprob is
-- exact however far below the maximum it is: only the sum drops such terms.
-- Inputs: logits (t, token, logit), one row per position t and token.
-- [T, V] -> [T, V]
--
-- In psql: WITH logits (t, token, logit) AS (VALUES (0, 0, 2.0::float8), (0, 1, 1.0), (0, 2, -800.0),
--   (1, 0, 0.5), (1, 1, 0.5)), this SELECT * FROM logprobs ORDER BY t, token;
logit_max AS (                  -- [T, V]: each logit beside its position's largest
  SELECT t, token, logit, max(logit) OVER by_position AS m
  FROM logits
  WINDOW by_position AS (PARTITION BY t ORDER BY token ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
logprobs AS (                   -- [T, V]: logit - (max + ln(sum(exp(logit - max))))
  SELECT t, token, logit,
         logit - (m + ln(sum(CASE WHEN logit - m > -700 THEN exp(logit - m) ELSE 0 END) OVER by_position)) AS logprob
  FROM logit_max
  WINDOW by_position AS (PARTITION BY t ORDER BY token ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
)
