-- final: the last block's output, one row per position: every position, or only the last of
-- each sequence, whose logits choose its next token.
-- Inputs: the last block's output (float8[T*C]); fed (t, s); which positions are kept.
-- [T*C] -> [T', C]
--
-- In psql: WITH fed (t, s) AS (VALUES (0, 0), (1, 0)) this, {{input}} = ARRAY[1, 2, 3, 4]::float8[],
--   {{n_embd}} = 2, {{kept}} = true;
SELECT fed.t, last.x[fed.t * {{n_embd}} + 1 : (fed.t + 1) * {{n_embd}}] AS x
FROM (SELECT {{input}} AS x) AS last
CROSS JOIN fed
WHERE {{kept}}
