-- attention (stage attn): causal self-attention, all heads at once. The query of each new
-- position is scored against the keys of every position up to and including its own, cached or
-- new: preatt = q·k / sqrt(HS), where the causal mask keeps only places <= the query's place;
-- att = softmax of each row of preatt; atty = att @ v, the heads side by side. Queries, keys and
-- values are one row per position and head, in the type of the {{kernel}} arithmetic. Each
-- score carries its place's value along, so att @ v reads them in place order without a join.
-- Inputs: qkv (t, x float8[3*C]): q, k, v of the new positions; the cache of earlier ones.
-- [T, 3*C] -> [T, C]
q AS MATERIALIZED (             -- [T, NH, HS]: each head's query, converted once
  SELECT qkv.t, head.h, {{prepare_q}} AS q
  FROM qkv
  CROSS JOIN generate_series(0, {{n_head}} - 1) AS head(h)
),
kv AS (                         -- [Tk, NH, 2*HS]: each head's key and value of every place attended to
  {{cached}}
  SELECT {{start}} + qkv.t AS place, head.h,
         {{prepare_k}} AS k,
         {{prepare_v}} AS v
  FROM qkv
  CROSS JOIN generate_series(0, {{n_head}} - 1) AS head(h)
),
preatt AS (                     -- [T, NH, <=Tk]: q·k / sqrt(HS) for the places each query sees, and their values
  SELECT q.t, q.h, kv.place, kv.v, {{dot}} / sqrt({{head_size}}) AS preatt
  FROM q
  JOIN kv ON kv.h = q.h AND kv.place <= {{start}} + q.t
),
att AS (                        -- [T, NH, <=Tk]: softmax over each query's places, and their values
  SELECT t, h, place, v, e / sum(e) OVER query_row AS att
  FROM (  -- exp(preatt - max), 0 below e^-300: see "Numerics" in sql/README.md
    SELECT t, h, place, v, CASE WHEN z > -300 THEN exp(z) ELSE 0 END AS e
    FROM (SELECT t, h, place, v, preatt - max(preatt) OVER (PARTITION BY t, h) AS z FROM preatt) AS shifted
  ) AS exps
  WINDOW query_row AS (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
atty AS (                       -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]: heads side by side
  SELECT t, array_agg(y ORDER BY h, i) AS x
  FROM (
    {{head_values}}
  ) AS head_values
  GROUP BY t
)
