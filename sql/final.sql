-- final: the last block's output, one row per position: every position, or only the last, whose
-- logits choose the next token.
-- Inputs: the last block's output (float8[T*C]).
-- [T*C] -> [T', C]
--
-- In psql: this, {{input}} = ARRAY[1, 2, 3, 4]::float8[], {{n_embd}} = 2, {{first_t}} = 0;
SELECT t, last.x[t * {{n_embd}} + 1 : (t + 1) * {{n_embd}}] AS x
FROM (SELECT {{input}} AS x) AS last
CROSS JOIN generate_series({{first_t}}, cardinality(last.x) / {{n_embd}} - 1) AS t
