-- step_token: what a step returns: the chosen token and its bytes.
-- [1] -> [1]
--
-- In psql: the end of step.sql, after sample.sql's CTE chosen.
SELECT chosen.token, vocab.bytes
FROM chosen
LEFT JOIN vocab USING (token)
