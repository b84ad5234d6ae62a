-- block: one transformer block (stages ln_1, attn, ln_2, mlp), picoGPT's in the stages' names:
-- x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)), as a chain of CTEs with llm.c's
-- activation names (src/sql/forward.ts lists them). Elementwise steps map arrays with array_agg()
-- over unnest(), which reads them in order: an aggregate takes its rows in the order its FROM
-- gives them, here the arrays' (or a sorted subquery's).
-- Inputs: forward.x, the block's input (float8[T*C]); the block's weights.
-- [T*C] -> [T*C], plus the new positions' keys and values ([T*C] each) for the cache
--
-- In psql: the LATERAL subquery of forward.sql, reading forward's row of the block before.
WITH
{{ctes}}
SELECT residual3.x,
       (SELECT array_agg(new.k)    -- the new positions' keys and values, [T*C] each, for the cache
        FROM (SELECT unnest(x[{{n_embd}} + 1 : 2 * {{n_embd}}]) AS k FROM qkv ORDER BY t) AS new) AS k,
       (SELECT array_agg(new.v)
        FROM (SELECT unnest(x[2 * {{n_embd}} + 1 : 3 * {{n_embd}}]) AS v FROM qkv ORDER BY t) AS new) AS v
FROM residual3
