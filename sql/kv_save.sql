-- kv_save: appends each block's keys and values of the new positions to the session's cache,
-- so the next step computes only its own position. Runs once, whether or not it is read.
-- [n_layer, T*C] -> n_layer * T rows of gpt2sql.kv_cache
saved AS (
  INSERT INTO gpt2sql.kv_cache (session, block, place, k, v)
  SELECT {{session}}, forward.block, {{start}} + t,
         forward.k[t * {{n_embd}} + 1 : (t + 1) * {{n_embd}}],
         forward.v[t * {{n_embd}} + 1 : (t + 1) * {{n_embd}}]
  FROM forward
  CROSS JOIN generate_series(0, cardinality(forward.k) / {{n_embd}} - 1) AS t
  WHERE forward.block >= 0
),
