-- kv_save: appends each block's keys and values of the new positions to the session's cache
-- (kv_cache, in the model's schema), one row per place and head, in the types attention uses,
-- so the next step computes only its own position. Runs once, whether or not anything reads it.
-- [n_layer, T*C] -> n_layer * T * NH rows of kv_cache
saved AS (
  INSERT INTO kv_cache (session, block, place, head, k, v)
  SELECT {{session}}, forward.block, {{start}} + t, h,
         {{prepare_k}},
         {{prepare_v}}
  FROM forward
  CROSS JOIN generate_series(0, cardinality(forward.k) / {{n_embd}} - 1) AS t
  CROSS JOIN generate_series(0, {{n_head}} - 1) AS h
  WHERE forward.block >= 0
),
