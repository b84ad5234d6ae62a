-- hidden: the final hidden state (after ln_f) of every position, for tests and checks.
-- [T] -> [T, C]
--
-- In psql: as next.sql; `gpt2sql trace` keeps it as the table lnf.
WITH RECURSIVE
{{transformer}}
SELECT t, x
FROM lnf
ORDER BY t
