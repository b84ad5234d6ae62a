-- kv_save: appends each block's keys and values of the new positions to the session's cache,
-- one row per place and head, so the next step computes only its own position. Runs once,
-- whether or not anything reads it.
-- [n_layer, T*C] -> n_layer * T * NH rows of gpt2sql.kv_cache
saved AS (
  INSERT INTO gpt2sql.kv_cache (session, block, place, head, k, v)
  SELECT {{session}}, forward.block, {{start}} + t, h,
         forward.k[t * {{n_embd}} + h * {{head_size}} + 1 : t * {{n_embd}} + (h + 1) * {{head_size}}],
         forward.v[t * {{n_embd}} + h * {{head_size}} + 1 : t * {{n_embd}} + (h + 1) * {{head_size}}]
  FROM forward
  CROSS JOIN generate_series(0, cardinality(forward.k) / {{n_embd}} - 1) AS t
  CROSS JOIN generate_series(0, {{n_head}} - 1) AS h
  WHERE forward.block >= 0
),
