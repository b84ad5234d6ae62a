-- transformer: the embeddings, every block and ln_f for the new positions (the reference's
-- transformer()); lnf keeps {{which}}.
-- Inputs: ids, the token ids fed; start, the number of positions already cached.
-- [T] -> [T', C]
encoded AS (                    -- [T] -> [T*C]
  {{embed}}
),
{{forward}},
final AS (                      -- [T*C] -> [T', C]: the last block's output
  SELECT t, forward.x[t * {{n_embd}} + 1 : (t + 1) * {{n_embd}}] AS x
  FROM forward
  CROSS JOIN generate_series({{first_t}}, cardinality(forward.x) / {{n_embd}} - 1) AS t
  WHERE forward.block = {{n_layer}} - 1
),
lnf AS (                        -- [T', C] -> [T', C]
  {{ln_f}}
)
