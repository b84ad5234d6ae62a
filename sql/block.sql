-- block: one transformer block (stages ln_1, attn, ln_2, mlp), block number {{block}}.
-- picoGPT's x = x + mha(layer_norm(x)); x = x + ffn(layer_norm(x)), with llm.c's activation names.
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
  SELECT residual.t, array_agg(e.a + e.b ORDER BY e.i) AS x
  FROM residual
  JOIN attproj USING (t)
  CROSS JOIN LATERAL unnest(residual.x, attproj.x) WITH ORDINALITY AS e(a, b, i)
  GROUP BY residual.t
),
ln2 AS (                        -- [T, C] -> [T, C]
  {{ln_2}}
),
fch AS (                        -- [T, C] -> [T, 4*C]
  {{mlp_fc}}
),
fch_gelu AS (                   -- [T, 4*C] -> [T, 4*C]: GPT-2's gelu, the tanh approximation
  SELECT fch.t, array_agg(0.5 * e.v * (1 + tanh(sqrt(2 / pi()) * (e.v + 0.044715 * e.v * e.v * e.v))) ORDER BY e.i) AS x
  FROM fch
  CROSS JOIN LATERAL unnest(fch.x) WITH ORDINALITY AS e(v, i)
  GROUP BY fch.t
),
fcproj AS (                     -- [T, 4*C] -> [T, C]
  {{mlp_proj}}
),
residual3 AS (                  -- [T, C] + [T, C] -> [T*C]: the block's output, flattened again
  SELECT array_agg(e.a + e.b ORDER BY residual2.t, e.i) AS x
  FROM residual2
  JOIN fcproj USING (t)
  CROSS JOIN LATERAL unnest(residual2.x, fcproj.x) WITH ORDINALITY AS e(a, b, i)
)
SELECT residual3.x,
       (SELECT array_agg(e.k ORDER BY qkv.t, e.i)
        FROM qkv, unnest(qkv.x[{{n_embd}} + 1 : 2 * {{n_embd}}]) WITH ORDINALITY AS e(k, i)) AS k,
       (SELECT array_agg(e.v ORDER BY qkv.t, e.i)
        FROM qkv, unnest(qkv.x[2 * {{n_embd}} + 1 : 3 * {{n_embd}}]) WITH ORDINALITY AS e(v, i)) AS v
FROM residual3
