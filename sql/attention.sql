-- attention (stage attn): causal self-attention, all heads at once. The query of each new
-- position is scored against the keys of every position up to and including its own, cached or
-- new: preatt = q·k / sqrt(HS), where the causal mask keeps only places <= the query's place;
-- att = softmax of each row of preatt; atty = att @ v, the heads side by side.
-- Inputs: qkv (t, x float8[3*C]): q, k, v of the new positions; the cache of earlier ones.
-- [T, 3*C] -> [T, C]
kv AS (                         -- [Tk, 2*C]: keys and values of every position attended to
  {{cached}}
  SELECT {{start}} + qkv.t AS place,
         qkv.x[{{n_embd}} + 1 : 2 * {{n_embd}}] AS k,
         qkv.x[2 * {{n_embd}} + 1 : 3 * {{n_embd}}] AS v
  FROM qkv
),
preatt AS (                     -- [T, NH, <=Tk]: each head's q·k / sqrt(HS), unmasked places only
  SELECT qkv.t, head.h, kv.place,
         (SELECT sum(q * k)
          FROM (SELECT unnest(qkv.x[head.h * {{head_size}} + 1 : (head.h + 1) * {{head_size}}]) AS q,
                       unnest(kv.k[head.h * {{head_size}} + 1 : (head.h + 1) * {{head_size}}]) AS k) AS pair
         ) / sqrt({{head_size}}) AS preatt
  FROM qkv
  CROSS JOIN generate_series(0, {{n_head}} - 1) AS head(h)
  JOIN kv ON kv.place <= {{start}} + qkv.t
),
att AS (                        -- [T, NH, <=Tk]: softmax over each query's places
  SELECT t, h, place, e / sum(e) OVER query_row AS att
  FROM (  -- exp(preatt - max); exp() of less than -745 is 0, not PostgreSQL's underflow error
    SELECT t, h, place, CASE WHEN z > -745 THEN exp(z) ELSE 0 END AS e
    FROM (SELECT t, h, place, preatt - max(preatt) OVER (PARTITION BY t, h) AS z FROM preatt) AS shifted
  ) AS exps
  WINDOW query_row AS (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
atty AS (                       -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]
  SELECT t, array_agg(y ORDER BY h, i) AS x
  FROM (
    SELECT att.t, att.h, value.i, sum(att.att * value.v ORDER BY att.place) AS y
    FROM att
    JOIN kv USING (place)
    CROSS JOIN LATERAL unnest(kv.v[att.h * {{head_size}} + 1 : (att.h + 1) * {{head_size}}])
      WITH ORDINALITY AS value(v, i)
    GROUP BY att.t, att.h, value.i
  ) AS heads
  GROUP BY t
)
