-- block: one transformer block (stages ln_1, attn, ln_2, mlp), block number {{block}}.
-- picoGPT's x = x + mha(layer_norm(x)); x = x + ffn(layer_norm(x)), with llm.c's activation names.
-- Elementwise steps map arrays with array_agg() over unnest(), which reads them in order: an
-- aggregate takes its rows in the order its FROM gives them, here the arrays' (or a sorted subquery's).
-- Inputs: forward.x, the block's input (float8[T*C]); the block's weights.
-- [T*C] -> [T*C], plus the new positions' keys and values ([T*C] each) for the cache
WITH residual AS (              -- [T*C] -> [T, C]: the block's input, one row per position
  SELECT t, forward.x[t * {{n_embd}} + 1 : (t + 1) * {{n_embd}}] AS x
  FROM generate_series(0, cardinality(forward.x) / {{n_embd}} - 1) AS t
),
ln1 AS (                        -- [T, C] -> [T, C]
  {{ln_1}}
),
qkv AS (                        -- [T, C] -> [T, 3*C]: q, k and v side by side
  {{attn_qkv}}
),
{{attention}},
attproj AS (                    -- [T, C] -> [T, C]
  {{attn_proj}}
),
residual2 AS (                  -- [T, C] + [T, C] -> [T, C]
  SELECT residual.t, (SELECT array_agg(e.a + e.b) FROM unnest(residual.x, attproj.x) AS e(a, b)) AS x
  FROM residual
  JOIN attproj USING (t)
),
ln2 AS (                        -- [T, C] -> [T, C]
  {{ln_2}}
),
fch AS (                        -- [T, C] -> [T, 4*C]
  {{mlp_fc}}
),
fch_gelu AS (                   -- [T, 4*C] -> [T, 4*C]: GPT-2's gelu, the tanh approximation, with
  -- v + 0.044715·v³ written v·(1 + 0.044715·v²): the cube of a tiny v would underflow (an error here)
  SELECT fch.t, (SELECT array_agg(0.5 * v * (1 + tanh(sqrt(2 / pi()) * v * (1 + 0.044715 * v * v)))) FROM unnest(fch.x) AS v) AS x
  FROM fch
),
fcproj AS (                     -- [T, 4*C] -> [T, C]
  {{mlp_proj}}
),
residual3 AS (                  -- [T, C] + [T, C] -> [T*C]: the block's output, flattened again
  SELECT array_agg(e.a + e.b) AS x
  FROM (SELECT residual2.x AS a, fcproj.x AS b FROM residual2 JOIN fcproj USING (t) ORDER BY t) AS position
  CROSS JOIN LATERAL unnest(position.a, position.b) AS e(a, b)
)
SELECT residual3.x,
       (SELECT array_agg(k)        -- the new positions' keys and values, [T*C] each, for the cache
        FROM (SELECT x FROM qkv ORDER BY t) AS position, unnest(position.x[{{n_embd}} + 1 : 2 * {{n_embd}}]) AS k) AS k,
       (SELECT array_agg(v)
        FROM (SELECT x FROM qkv ORDER BY t) AS position, unnest(position.x[2 * {{n_embd}} + 1 : 3 * {{n_embd}}]) AS v) AS v
FROM residual3
