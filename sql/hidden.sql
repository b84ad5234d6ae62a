-- hidden: the final hidden state (after ln_f) of every position, for tests and checks.
-- [T] -> [T, C]
WITH RECURSIVE
{{transformer}}
SELECT t, x
FROM lnf
ORDER BY t
