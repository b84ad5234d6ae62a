-- hidden: the final hidden state (after ln_f) of every position, for tests and checks.
-- [T] -> [T, C]
WITH RECURSIVE
fed AS MATERIALIZED (           -- [T]: (t, s, place, token)
  -- fed: the positions fed to the forward pass, one row each, for one sequence: t numbers them
  -- from 0 in this statement, s is the sequence (0: there is one), place is the position's place in
  -- the text (start + t) and token its token id. Every stage after it is keyed by t; embed.sql
  -- takes place from here, attention keeps each sequence to itself by s and place.
  -- Inputs: ids, the T token ids fed (int[]); start, the place of the first of them (0 for a full
  -- pass, the number of positions already cached otherwise).
  -- [T] -> [T]: (t, s, place, token)
  SELECT (input.t - 1)::int AS t, 0 AS s, $1::int + (input.t - 1)::int AS place, input.token
  FROM unnest($2::int[]) WITH ORDINALITY AS input(token, t)
),
encoded AS MATERIALIZED (       -- [T] -> [T*C]
  -- embed: each position's embedding, the token's plus its place's: wte[token] + wpe[place].
  -- Inputs: fed (t, s, place, token); the tables wte (on a sharded model, the rows of the tokens
  -- fed only, which the shards send) and wpe.
  -- [T] -> [T*C]: one float8[] holding the T rows of C values one after another
  SELECT array_agg(e.token_value::float8 + e.place_value ORDER BY fed.t, e.i) AS x
  FROM fed
  JOIN wte ON wte.token = fed.token
  JOIN wpe ON wpe.place = fed.place
  CROSS JOIN LATERAL unnest(wte.values::real[], wpe.values) WITH ORDINALITY AS e(token_value, place_value, i)
),
block_0 AS MATERIALIZED (       -- [T*C] -> [T*C]: block 0
  -- block: one transformer block (stages ln_1, attn, ln_2, mlp), picoGPT's in the stages' names:
  -- x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)), as a chain of CTEs with llm.c's
  -- activation names (src/sql/forward.ts lists them). Elementwise steps map arrays with array_agg()
  -- over unnest(), which reads them in order: an aggregate takes its rows in the order its FROM
  -- gives them, here the arrays' (or a sorted subquery's).
  -- Inputs: forward.x, the block's input (float8[T*C]); the block's weights.
  -- [T*C] -> [T*C], plus the new positions' keys and values ([T*C] each) for the cache
  WITH
  residual AS MATERIALIZED (      -- [T*C] -> [T, C]: the block's input, one row per position
    -- block_input (the residual): the block's input, the output of the block before (the embeddings
    -- for the first), one row per position.
    -- Inputs: the block's input (float8[T*C]): forward.x in the recursive CTE of forward.sql, or the
    -- CTE of the block before when the blocks are written out one after another.
    -- [T*C] -> [T, C]
    SELECT t, input.x[t * 40 + 1 : (t + 1) * 40] AS x
    FROM (SELECT (SELECT x FROM encoded) AS x) AS input
    CROSS JOIN generate_series(0, cardinality(input.x) / 40 - 1) AS t
  ),
  ln1 AS MATERIALIZED (           -- [T, C] -> [T, C]: ln_1
    -- layer_norm (stages ln_1, ln_2, ln_f): each position's vector minus its mean, divided by its
    -- standard deviation (the variance over C values plus epsilon, from the catalog), times the gain
    -- g, plus the bias b. Mean and variance come from avg() and var_pop() in one pass (PostgreSQL's
    -- Youngs-Cramer sums, in C): the reference's two passes up to rounding, and no underflow error
    -- where (x - mean)² would be too small for a float8. A row whose values are all equal has
    -- variance 0 and becomes b.
    -- Inputs: the rows (t, x float8[C]) of the CTE before; g and b (float4[C]) of ln_1, ln_2 or ln_f.
    -- [T, C] -> [T, C]
    SELECT input.t,
           (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
            FROM (SELECT unnest(input.x) AS x, unnest((SELECT values FROM ln_1_g WHERE block = 0)) AS g, unnest((SELECT values FROM ln_1_b WHERE block = 0)) AS b) AS e) AS x
    FROM residual AS input
    CROSS JOIN LATERAL (SELECT avg(e.x) AS mean, var_pop(e.x) AS variance FROM (SELECT unnest(input.x) AS x) AS e) AS stats
  ),
  qkv AS MATERIALIZED (           -- [T, C] -> [T, 3*C]: c_attn, q, k and v side by side
    -- linear_shared: linear.sql's x @ w + b for more positions than a stored row meets at once (W,
    -- the lanes), in a statement whose scans parallel workers share (src/engine/workers.ts decides).
    -- Each stored row is read once, by whichever process reaches it, and meets every group of W
    -- positions (lanes.g), one output row per group; each product finds its group's activation in
    -- the lanes, arrays PostgreSQL computes before the scan and hands to the workers (each product is
    -- computed whole in one process, so any number of workers gives the same values). The products
    -- are then sorted by group and column, and put together position by position, in column order,
    -- as linear.sql puts them. In one process linear.sql reads the rows once a group instead, which
    -- sorts nothing and finds each group's activations once; its values are the same.
    -- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part 0, values) and
    -- b (block, values) of the layer; the block.
    -- [T, n_in] -> [T, n_out]
    WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
      SELECT (count(*)::int + 8 - 1) / 8 AS groups,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 0) AS lane_1,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 1) AS lane_2,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 2) AS lane_3,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 3) AS lane_4,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 4) AS lane_5,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 5) AS lane_6,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 6) AS lane_7,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 7) AS lane_8
      FROM (SELECT input.t, input.x::vector AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
            FROM ln1 AS input) AS position
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM c_attn_b
      WHERE block = 0
    )
    SELECT position.t, position.x
    FROM (
      SELECT by_column.g,              -- each lane's output vector: its products in column order
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y1) < 1e-20 THEN 0 ELSE by_column.y1 END) AS x1,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y2) < 1e-20 THEN 0 ELSE by_column.y2 END) AS x2,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y3) < 1e-20 THEN 0 ELSE by_column.y3 END) AS x3,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y4) < 1e-20 THEN 0 ELSE by_column.y4 END) AS x4,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y5) < 1e-20 THEN 0 ELSE by_column.y5 END) AS x5,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y6) < 1e-20 THEN 0 ELSE by_column.y6 END) AS x6,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y7) < 1e-20 THEN 0 ELSE by_column.y7 END) AS x7,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y8) < 1e-20 THEN 0 ELSE by_column.y8 END) AS x8
      FROM (
        SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
               inner_product(w.values, ((SELECT lane_1 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y1,
               inner_product(w.values, ((SELECT lane_2 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y2,
               inner_product(w.values, ((SELECT lane_3 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y3,
               inner_product(w.values, ((SELECT lane_4 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y4,
               inner_product(w.values, ((SELECT lane_5 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y5,
               inner_product(w.values, ((SELECT lane_6 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y6,
               inner_product(w.values, ((SELECT lane_7 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y7,
               inner_product(w.values, ((SELECT lane_8 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y8
        FROM c_attn_w AS w
        CROSS JOIN LATERAL generate_series(1, CASE WHEN w.col >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
        WHERE w.block = 0
        ORDER BY lanes.g, w.col        -- by group, each in column order
        OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
      ) AS by_column
      GROUP BY by_column.g
      OFFSET 0                         -- the lanes' outputs made before any is looked at
    ) AS columns
    CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
      (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1),
      (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2),
      (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3),
      (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4),
      (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5),
      (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6),
      (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7),
      (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8)
    ) AS position (t, x)
    WHERE position.t IS NOT NULL
  ),
  q AS MATERIALIZED (             -- [T, 3*C] -> [T, NH, HS]: each head's query, converted once
    -- attn_q (stage attn, 1 of 5): causal self-attention starts by cutting each new position's
    -- query out of qkv, one row per position and head, converted once to the type the kernel's
    -- q·k takes, with the position's sequence and place, which say what it may attend to. (Then
    -- attn_kv, attn_scores, attn_softmax and atty: all heads at once.)
    -- Inputs: qkv (t, x float8[3*C]): q, k and v of the new positions side by side; fed (t, s, place).
    -- [T, 3*C] -> [T, NH, HS]
    SELECT qkv.t, fed.s, fed.place, head.h, qkv.x[head.h * 8 + 1 : (head.h + 1) * 8]::vector AS q
    FROM qkv
    JOIN fed USING (t)
    CROSS JOIN generate_series(0, 5 - 1) AS head(h)
  ),
  kv AS MATERIALIZED (            -- [Tk, NH, 2*HS]: each head's key and value of every place attended to
    -- attn_kv (stage attn, 2 of 5): each head's key and value of every place a new position may
    -- attend to, with its sequence: the places cached by earlier statements of each generation
    -- (kv_read.sql), then the new positions' own, cut out of qkv, in the types the kernel's
    -- arithmetic takes.
    -- Inputs: qkv (t, x float8[3*C]); fed (t, s, place).
    -- [T, 3*C] -> [Tk, NH, 2*HS]
    SELECT fed.s, fed.place, head.h,
           qkv.x[40 + head.h * 8 + 1 : 40 + (head.h + 1) * 8]::vector AS k,
           qkv.x[2 * 40 + head.h * 8 + 1 : 2 * 40 + (head.h + 1) * 8]::vector AS v
    FROM qkv
    JOIN fed USING (t)
    CROSS JOIN generate_series(0, 5 - 1) AS head(h)
  ),
  preatt AS MATERIALIZED (        -- [T, NH, <=Tk]: q·k / sqrt(HS) for the places each query sees
    -- attn_scores (stage attn, 3 of 5): preatt = q·k / sqrt(HS), each new position's query against
    -- the key of every place of its own sequence up to and including its own (the causal mask:
    -- place <= the query's), computed by the kernel's q·k. Each score carries its place's value
    -- along, so att @ v reads them in place order without a join.
    -- Inputs: q (t, s, place, h, q) and kv (s, place, h, k, v).
    -- [T, NH, HS] x [Tk, NH, HS] -> [T, NH, <=Tk]
    SELECT q.t, q.h, kv.place, kv.v, inner_product(kv.k, q.q) / sqrt(8) AS preatt
    FROM q
    JOIN kv ON kv.s = q.s AND kv.h = q.h AND kv.place <= q.place
  ),
  att AS (                        -- [T, NH, <=Tk]: softmax over each query's places
    -- attn_softmax (stage attn, 4 of 5): att = softmax of each query's scores over its places:
    -- exp(preatt - max), divided by the sum. exp() of less than -300 is taken as 0 (e^-300 is
    -- 5e-131): such a weight changes att @ v by less than float8 can show next to the largest, and
    -- every product of the weights that remain with a value stays far from float8's smallest, below
    -- which PostgreSQL raises an error where IEEE arithmetic gives 0 (sql/README.md, Numerics).
    -- Inputs: preatt (t, h, place, v, preatt).
    -- [T, NH, <=Tk] -> [T, NH, <=Tk]
    SELECT t, h, place, v, e / sum(e) OVER query_row AS att
    FROM (
      SELECT t, h, place, v, CASE WHEN z > -300 THEN exp(z) ELSE 0 END AS e
      FROM (SELECT t, h, place, v,     -- the max over the same window as the sum: one sort serves both
                   preatt - max(preatt) OVER (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS z
            FROM preatt) AS shifted
    ) AS exps
    WINDOW query_row AS (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
  ),
  atty AS MATERIALIZED (          -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]: heads side by side
    -- atty (stage attn, 5 of 5): att @ v, each head's attention output, the heads side by side:
    -- the values summed with the attention weights, by the kernel's aggregate (atty_sum.sql) or one
    -- output value at a time (atty_columns.sql), each head's HS values one array; a position's
    -- heads are concatenated in head order (gpt2sql.array_cat_agg, array_cat as an aggregate), so
    -- no value is taken out of its head's array again.
    -- Inputs: att (t, h, place, v, att).
    -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]
    SELECT t, gpt2sql.array_cat_agg(y ORDER BY h) AS x
    FROM (
      -- atty_sum (stage attn): each head's attention output, the sum over places of att * v, as one
      -- aggregate of the kernel (pgvector's sum of vectors) per position and head, in place order.
      -- Inputs: att (t, h, place, v, att).
      -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, NH, HS] (rows t, h, y float8[HS])
      SELECT att.t, att.h, sum(att.v * array_fill(CASE WHEN att.att < 1e-20 THEN 0 ELSE att.att END, ARRAY[8])::vector ORDER BY att.place)::real[]::float8[] AS y
      FROM att
      GROUP BY att.t, att.h
    ) AS head_values
    GROUP BY t
  ),
  attproj AS MATERIALIZED (       -- [T, C] -> [T, C]: c_proj
    WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
      SELECT (count(*)::int + 8 - 1) / 8 AS groups,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 0) AS lane_1,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 1) AS lane_2,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 2) AS lane_3,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 3) AS lane_4,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 4) AS lane_5,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 5) AS lane_6,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 6) AS lane_7,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 7) AS lane_8
      FROM (SELECT input.t, input.x::vector AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
            FROM atty AS input) AS position
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM c_proj_b
      WHERE block = 0
    )
    SELECT position.t, position.x
    FROM (
      SELECT by_column.g,              -- each lane's output vector: its products in column order
             array_agg(by_column.y1) AS x1,
             array_agg(by_column.y2) AS x2,
             array_agg(by_column.y3) AS x3,
             array_agg(by_column.y4) AS x4,
             array_agg(by_column.y5) AS x5,
             array_agg(by_column.y6) AS x6,
             array_agg(by_column.y7) AS x7,
             array_agg(by_column.y8) AS x8
      FROM (
        SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
               inner_product(w.values, ((SELECT lane_1 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y1,
               inner_product(w.values, ((SELECT lane_2 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y2,
               inner_product(w.values, ((SELECT lane_3 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y3,
               inner_product(w.values, ((SELECT lane_4 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y4,
               inner_product(w.values, ((SELECT lane_5 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y5,
               inner_product(w.values, ((SELECT lane_6 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y6,
               inner_product(w.values, ((SELECT lane_7 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y7,
               inner_product(w.values, ((SELECT lane_8 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y8
        FROM c_proj_w AS w
        CROSS JOIN LATERAL generate_series(1, CASE WHEN w.col >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
        WHERE w.block = 0
        ORDER BY lanes.g, w.col        -- by group, each in column order
        OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
      ) AS by_column
      GROUP BY by_column.g
      OFFSET 0                         -- the lanes' outputs made before any is looked at
    ) AS columns
    CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
      (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1),
      (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2),
      (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3),
      (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4),
      (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5),
      (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6),
      (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7),
      (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8)
    ) AS position (t, x)
    WHERE position.t IS NOT NULL
  ),
  residual2 AS MATERIALIZED (     -- [T, C] + [T, C] -> [T, C]
    -- residual: the residual connection, x + f(x) position by position (residual2 adds attn's
    -- output to the block's input).
    -- Inputs: the rows (t, x float8[C]) of the residual stream x and of f(x), two CTEs before.
    -- [T, C] + [T, C] -> [T, C]
    SELECT residual.t, (SELECT array_agg(e.a + e.b) FROM (SELECT unnest(residual.x) AS a, unnest(attproj.x) AS b) AS e) AS x
    FROM residual
    JOIN attproj USING (t)
  ),
  ln2 AS MATERIALIZED (           -- [T, C] -> [T, C]: ln_2
    SELECT input.t,
           (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
            FROM (SELECT unnest(input.x) AS x, unnest((SELECT values FROM ln_2_g WHERE block = 0)) AS g, unnest((SELECT values FROM ln_2_b WHERE block = 0)) AS b) AS e) AS x
    FROM residual2 AS input
    CROSS JOIN LATERAL (SELECT avg(e.x) AS mean, var_pop(e.x) AS variance FROM (SELECT unnest(input.x) AS x) AS e) AS stats
  ),
  fch AS MATERIALIZED (           -- [T, C] -> [T, 4*C]: mlp c_fc
    WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
      SELECT (count(*)::int + 8 - 1) / 8 AS groups,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 0) AS lane_1,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 1) AS lane_2,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 2) AS lane_3,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 3) AS lane_4,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 4) AS lane_5,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 5) AS lane_6,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 6) AS lane_7,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 7) AS lane_8
      FROM (SELECT input.t, input.x::vector AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
            FROM ln2 AS input) AS position
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM mlp_c_fc_b
      WHERE block = 0
    )
    SELECT position.t, position.x
    FROM (
      SELECT by_column.g,              -- each lane's output vector: its products in column order
             array_agg(by_column.y1) AS x1,
             array_agg(by_column.y2) AS x2,
             array_agg(by_column.y3) AS x3,
             array_agg(by_column.y4) AS x4,
             array_agg(by_column.y5) AS x5,
             array_agg(by_column.y6) AS x6,
             array_agg(by_column.y7) AS x7,
             array_agg(by_column.y8) AS x8
      FROM (
        SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
               inner_product(w.values, ((SELECT lane_1 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y1,
               inner_product(w.values, ((SELECT lane_2 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y2,
               inner_product(w.values, ((SELECT lane_3 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y3,
               inner_product(w.values, ((SELECT lane_4 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y4,
               inner_product(w.values, ((SELECT lane_5 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y5,
               inner_product(w.values, ((SELECT lane_6 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y6,
               inner_product(w.values, ((SELECT lane_7 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y7,
               inner_product(w.values, ((SELECT lane_8 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y8
        FROM mlp_c_fc_w AS w
        CROSS JOIN LATERAL generate_series(1, CASE WHEN w.col >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
        WHERE w.block = 0
        ORDER BY lanes.g, w.col        -- by group, each in column order
        OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
      ) AS by_column
      GROUP BY by_column.g
      OFFSET 0                         -- the lanes' outputs made before any is looked at
    ) AS columns
    CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
      (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1),
      (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2),
      (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3),
      (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4),
      (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5),
      (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6),
      (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7),
      (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8)
    ) AS position (t, x)
    WHERE position.t IS NOT NULL
  ),
  fch_gelu AS MATERIALIZED (      -- [T, 4*C] -> [T, 4*C]: gelu
    -- gelu (stage mlp): GPT-2's gelu, the tanh approximation, 0.5·v·(1 + tanh(√(2/π)·(v + 0.044715·v³))),
    -- with v + 0.044715·v³ written v·(1 + 0.044715·v²): the cube of a tiny v would underflow, which
    -- PostgreSQL reports as an error.
    -- Inputs: fch (t, x float8[4*C]).
    -- [T, 4*C] -> [T, 4*C]
    SELECT fch.t, (SELECT array_agg(0.5 * e.v * (1 + tanh(sqrt(2 / pi()) * e.v * (1 + 0.044715 * e.v * e.v)))) FROM (SELECT unnest(fch.x) AS v) AS e) AS x
    FROM fch
  ),
  fcproj AS MATERIALIZED (        -- [T, 4*C] -> [T, C]: mlp c_proj
    WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
      SELECT (count(*)::int + 8 - 1) / 8 AS groups,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 0) AS lane_1,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 1) AS lane_2,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 2) AS lane_3,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 3) AS lane_4,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 4) AS lane_5,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 5) AS lane_6,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 6) AS lane_7,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 7) AS lane_8
      FROM (SELECT input.t, input.x::vector AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
            FROM fch_gelu AS input) AS position
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM mlp_c_proj_b
      WHERE block = 0
    )
    SELECT position.t, position.x
    FROM (
      SELECT by_column.g,              -- each lane's output vector: its products in column order
             array_agg(by_column.y1) AS x1,
             array_agg(by_column.y2) AS x2,
             array_agg(by_column.y3) AS x3,
             array_agg(by_column.y4) AS x4,
             array_agg(by_column.y5) AS x5,
             array_agg(by_column.y6) AS x6,
             array_agg(by_column.y7) AS x7,
             array_agg(by_column.y8) AS x8
      FROM (
        SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
               inner_product(w.values, ((SELECT lane_1 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y1,
               inner_product(w.values, ((SELECT lane_2 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y2,
               inner_product(w.values, ((SELECT lane_3 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y3,
               inner_product(w.values, ((SELECT lane_4 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y4,
               inner_product(w.values, ((SELECT lane_5 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y5,
               inner_product(w.values, ((SELECT lane_6 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y6,
               inner_product(w.values, ((SELECT lane_7 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y7,
               inner_product(w.values, ((SELECT lane_8 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y8
        FROM mlp_c_proj_w AS w
        CROSS JOIN LATERAL generate_series(1, CASE WHEN w.col >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
        WHERE w.block = 0
        ORDER BY lanes.g, w.col        -- by group, each in column order
        OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
      ) AS by_column
      GROUP BY by_column.g
      OFFSET 0                         -- the lanes' outputs made before any is looked at
    ) AS columns
    CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
      (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1),
      (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2),
      (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3),
      (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4),
      (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5),
      (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6),
      (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7),
      (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8)
    ) AS position (t, x)
    WHERE position.t IS NOT NULL
  ),
  residual3 AS MATERIALIZED (     -- [T, C] + [T, C] -> [T*C]: the block's output
    -- block_output (residual3): the block's output, residual2 + the MLP's output, position by
    -- position, flattened again into the one float8[] that forward.sql carries to the next block.
    -- Inputs: residual2 and fcproj (t, x float8[C]).
    -- [T, C] + [T, C] -> [T*C]
    SELECT array_agg(e.a + e.b) AS x
    FROM (SELECT unnest(residual2.x) AS a, unnest(fcproj.x) AS b FROM residual2 JOIN fcproj USING (t) ORDER BY t) AS e
  )
  SELECT residual3.x,
         (SELECT array_agg(new.k)    -- the new positions' keys and values, [T*C] each, for the cache
          FROM (SELECT unnest(x[40 + 1 : 2 * 40]) AS k FROM qkv ORDER BY t) AS new) AS k,
         (SELECT array_agg(new.v)
          FROM (SELECT unnest(x[2 * 40 + 1 : 3 * 40]) AS v FROM qkv ORDER BY t) AS new) AS v
  FROM residual3
),
block_1 AS MATERIALIZED (       -- [T*C] -> [T*C]: block 1
  WITH
  residual AS MATERIALIZED (      -- [T*C] -> [T, C]: the block's input, one row per position
    SELECT t, input.x[t * 40 + 1 : (t + 1) * 40] AS x
    FROM (SELECT (SELECT x FROM block_0) AS x) AS input
    CROSS JOIN generate_series(0, cardinality(input.x) / 40 - 1) AS t
  ),
  ln1 AS MATERIALIZED (           -- [T, C] -> [T, C]: ln_1
    SELECT input.t,
           (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
            FROM (SELECT unnest(input.x) AS x, unnest((SELECT values FROM ln_1_g WHERE block = 1)) AS g, unnest((SELECT values FROM ln_1_b WHERE block = 1)) AS b) AS e) AS x
    FROM residual AS input
    CROSS JOIN LATERAL (SELECT avg(e.x) AS mean, var_pop(e.x) AS variance FROM (SELECT unnest(input.x) AS x) AS e) AS stats
  ),
  qkv AS MATERIALIZED (           -- [T, C] -> [T, 3*C]: c_attn, q, k and v side by side
    WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
      SELECT (count(*)::int + 8 - 1) / 8 AS groups,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 0) AS lane_1,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 1) AS lane_2,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 2) AS lane_3,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 3) AS lane_4,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 4) AS lane_5,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 5) AS lane_6,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 6) AS lane_7,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 7) AS lane_8
      FROM (SELECT input.t, input.x::vector AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
            FROM ln1 AS input) AS position
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM c_attn_b
      WHERE block = 1
    )
    SELECT position.t, position.x
    FROM (
      SELECT by_column.g,              -- each lane's output vector: its products in column order
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y1) < 1e-20 THEN 0 ELSE by_column.y1 END) AS x1,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y2) < 1e-20 THEN 0 ELSE by_column.y2 END) AS x2,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y3) < 1e-20 THEN 0 ELSE by_column.y3 END) AS x3,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y4) < 1e-20 THEN 0 ELSE by_column.y4 END) AS x4,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y5) < 1e-20 THEN 0 ELSE by_column.y5 END) AS x5,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y6) < 1e-20 THEN 0 ELSE by_column.y6 END) AS x6,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y7) < 1e-20 THEN 0 ELSE by_column.y7 END) AS x7,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y8) < 1e-20 THEN 0 ELSE by_column.y8 END) AS x8
      FROM (
        SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
               inner_product(w.values, ((SELECT lane_1 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y1,
               inner_product(w.values, ((SELECT lane_2 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y2,
               inner_product(w.values, ((SELECT lane_3 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y3,
               inner_product(w.values, ((SELECT lane_4 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y4,
               inner_product(w.values, ((SELECT lane_5 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y5,
               inner_product(w.values, ((SELECT lane_6 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y6,
               inner_product(w.values, ((SELECT lane_7 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y7,
               inner_product(w.values, ((SELECT lane_8 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y8
        FROM c_attn_w AS w
        CROSS JOIN LATERAL generate_series(1, CASE WHEN w.col >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
        WHERE w.block = 1
        ORDER BY lanes.g, w.col        -- by group, each in column order
        OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
      ) AS by_column
      GROUP BY by_column.g
      OFFSET 0                         -- the lanes' outputs made before any is looked at
    ) AS columns
    CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
      (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1),
      (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2),
      (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3),
      (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4),
      (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5),
      (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6),
      (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7),
      (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8)
    ) AS position (t, x)
    WHERE position.t IS NOT NULL
  ),
  q AS MATERIALIZED (             -- [T, 3*C] -> [T, NH, HS]: each head's query, converted once
    SELECT qkv.t, fed.s, fed.place, head.h, qkv.x[head.h * 8 + 1 : (head.h + 1) * 8]::vector AS q
    FROM qkv
    JOIN fed USING (t)
    CROSS JOIN generate_series(0, 5 - 1) AS head(h)
  ),
  kv AS MATERIALIZED (            -- [Tk, NH, 2*HS]: each head's key and value of every place attended to
    SELECT fed.s, fed.place, head.h,
           qkv.x[40 + head.h * 8 + 1 : 40 + (head.h + 1) * 8]::vector AS k,
           qkv.x[2 * 40 + head.h * 8 + 1 : 2 * 40 + (head.h + 1) * 8]::vector AS v
    FROM qkv
    JOIN fed USING (t)
    CROSS JOIN generate_series(0, 5 - 1) AS head(h)
  ),
  preatt AS MATERIALIZED (        -- [T, NH, <=Tk]: q·k / sqrt(HS) for the places each query sees
    SELECT q.t, q.h, kv.place, kv.v, inner_product(kv.k, q.q) / sqrt(8) AS preatt
    FROM q
    JOIN kv ON kv.s = q.s AND kv.h = q.h AND kv.place <= q.place
  ),
  att AS (                        -- [T, NH, <=Tk]: softmax over each query's places
    SELECT t, h, place, v, e / sum(e) OVER query_row AS att
    FROM (
      SELECT t, h, place, v, CASE WHEN z > -300 THEN exp(z) ELSE 0 END AS e
      FROM (SELECT t, h, place, v,     -- the max over the same window as the sum: one sort serves both
                   preatt - max(preatt) OVER (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS z
            FROM preatt) AS shifted
    ) AS exps
    WINDOW query_row AS (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
  ),
  atty AS MATERIALIZED (          -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]: heads side by side
    SELECT t, gpt2sql.array_cat_agg(y ORDER BY h) AS x
    FROM (
      SELECT att.t, att.h, sum(att.v * array_fill(CASE WHEN att.att < 1e-20 THEN 0 ELSE att.att END, ARRAY[8])::vector ORDER BY att.place)::real[]::float8[] AS y
      FROM att
      GROUP BY att.t, att.h
    ) AS head_values
    GROUP BY t
  ),
  attproj AS MATERIALIZED (       -- [T, C] -> [T, C]: c_proj
    WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
      SELECT (count(*)::int + 8 - 1) / 8 AS groups,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 0) AS lane_1,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 1) AS lane_2,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 2) AS lane_3,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 3) AS lane_4,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 4) AS lane_5,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 5) AS lane_6,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 6) AS lane_7,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 7) AS lane_8
      FROM (SELECT input.t, input.x::vector AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
            FROM atty AS input) AS position
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM c_proj_b
      WHERE block = 1
    )
    SELECT position.t, position.x
    FROM (
      SELECT by_column.g,              -- each lane's output vector: its products in column order
             array_agg(by_column.y1) AS x1,
             array_agg(by_column.y2) AS x2,
             array_agg(by_column.y3) AS x3,
             array_agg(by_column.y4) AS x4,
             array_agg(by_column.y5) AS x5,
             array_agg(by_column.y6) AS x6,
             array_agg(by_column.y7) AS x7,
             array_agg(by_column.y8) AS x8
      FROM (
        SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
               inner_product(w.values, ((SELECT lane_1 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y1,
               inner_product(w.values, ((SELECT lane_2 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y2,
               inner_product(w.values, ((SELECT lane_3 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y3,
               inner_product(w.values, ((SELECT lane_4 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y4,
               inner_product(w.values, ((SELECT lane_5 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y5,
               inner_product(w.values, ((SELECT lane_6 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y6,
               inner_product(w.values, ((SELECT lane_7 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y7,
               inner_product(w.values, ((SELECT lane_8 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y8
        FROM c_proj_w AS w
        CROSS JOIN LATERAL generate_series(1, CASE WHEN w.col >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
        WHERE w.block = 1
        ORDER BY lanes.g, w.col        -- by group, each in column order
        OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
      ) AS by_column
      GROUP BY by_column.g
      OFFSET 0                         -- the lanes' outputs made before any is looked at
    ) AS columns
    CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
      (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1),
      (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2),
      (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3),
      (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4),
      (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5),
      (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6),
      (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7),
      (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8)
    ) AS position (t, x)
    WHERE position.t IS NOT NULL
  ),
  residual2 AS MATERIALIZED (     -- [T, C] + [T, C] -> [T, C]
    SELECT residual.t, (SELECT array_agg(e.a + e.b) FROM (SELECT unnest(residual.x) AS a, unnest(attproj.x) AS b) AS e) AS x
    FROM residual
    JOIN attproj USING (t)
  ),
  ln2 AS MATERIALIZED (           -- [T, C] -> [T, C]: ln_2
    SELECT input.t,
           (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
            FROM (SELECT unnest(input.x) AS x, unnest((SELECT values FROM ln_2_g WHERE block = 1)) AS g, unnest((SELECT values FROM ln_2_b WHERE block = 1)) AS b) AS e) AS x
    FROM residual2 AS input
    CROSS JOIN LATERAL (SELECT avg(e.x) AS mean, var_pop(e.x) AS variance FROM (SELECT unnest(input.x) AS x) AS e) AS stats
  ),
  fch AS MATERIALIZED (           -- [T, C] -> [T, 4*C]: mlp c_fc
    WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
      SELECT (count(*)::int + 8 - 1) / 8 AS groups,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 0) AS lane_1,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 1) AS lane_2,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 2) AS lane_3,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 3) AS lane_4,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 4) AS lane_5,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 5) AS lane_6,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 6) AS lane_7,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 7) AS lane_8
      FROM (SELECT input.t, input.x::vector AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
            FROM ln2 AS input) AS position
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM mlp_c_fc_b
      WHERE block = 1
    )
    SELECT position.t, position.x
    FROM (
      SELECT by_column.g,              -- each lane's output vector: its products in column order
             array_agg(by_column.y1) AS x1,
             array_agg(by_column.y2) AS x2,
             array_agg(by_column.y3) AS x3,
             array_agg(by_column.y4) AS x4,
             array_agg(by_column.y5) AS x5,
             array_agg(by_column.y6) AS x6,
             array_agg(by_column.y7) AS x7,
             array_agg(by_column.y8) AS x8
      FROM (
        SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
               inner_product(w.values, ((SELECT lane_1 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y1,
               inner_product(w.values, ((SELECT lane_2 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y2,
               inner_product(w.values, ((SELECT lane_3 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y3,
               inner_product(w.values, ((SELECT lane_4 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y4,
               inner_product(w.values, ((SELECT lane_5 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y5,
               inner_product(w.values, ((SELECT lane_6 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y6,
               inner_product(w.values, ((SELECT lane_7 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y7,
               inner_product(w.values, ((SELECT lane_8 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y8
        FROM mlp_c_fc_w AS w
        CROSS JOIN LATERAL generate_series(1, CASE WHEN w.col >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
        WHERE w.block = 1
        ORDER BY lanes.g, w.col        -- by group, each in column order
        OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
      ) AS by_column
      GROUP BY by_column.g
      OFFSET 0                         -- the lanes' outputs made before any is looked at
    ) AS columns
    CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
      (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1),
      (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2),
      (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3),
      (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4),
      (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5),
      (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6),
      (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7),
      (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8)
    ) AS position (t, x)
    WHERE position.t IS NOT NULL
  ),
  fch_gelu AS MATERIALIZED (      -- [T, 4*C] -> [T, 4*C]: gelu
    SELECT fch.t, (SELECT array_agg(0.5 * e.v * (1 + tanh(sqrt(2 / pi()) * e.v * (1 + 0.044715 * e.v * e.v)))) FROM (SELECT unnest(fch.x) AS v) AS e) AS x
    FROM fch
  ),
  fcproj AS MATERIALIZED (        -- [T, 4*C] -> [T, C]: mlp c_proj
    WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
      SELECT (count(*)::int + 8 - 1) / 8 AS groups,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 0) AS lane_1,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 1) AS lane_2,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 2) AS lane_3,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 3) AS lane_4,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 4) AS lane_5,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 5) AS lane_6,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 6) AS lane_7,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 7) AS lane_8
      FROM (SELECT input.t, input.x::vector AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
            FROM fch_gelu AS input) AS position
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM mlp_c_proj_b
      WHERE block = 1
    )
    SELECT position.t, position.x
    FROM (
      SELECT by_column.g,              -- each lane's output vector: its products in column order
             array_agg(by_column.y1) AS x1,
             array_agg(by_column.y2) AS x2,
             array_agg(by_column.y3) AS x3,
             array_agg(by_column.y4) AS x4,
             array_agg(by_column.y5) AS x5,
             array_agg(by_column.y6) AS x6,
             array_agg(by_column.y7) AS x7,
             array_agg(by_column.y8) AS x8
      FROM (
        SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
               inner_product(w.values, ((SELECT lane_1 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y1,
               inner_product(w.values, ((SELECT lane_2 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y2,
               inner_product(w.values, ((SELECT lane_3 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y3,
               inner_product(w.values, ((SELECT lane_4 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y4,
               inner_product(w.values, ((SELECT lane_5 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y5,
               inner_product(w.values, ((SELECT lane_6 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y6,
               inner_product(w.values, ((SELECT lane_7 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y7,
               inner_product(w.values, ((SELECT lane_8 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y8
        FROM mlp_c_proj_w AS w
        CROSS JOIN LATERAL generate_series(1, CASE WHEN w.col >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
        WHERE w.block = 1
        ORDER BY lanes.g, w.col        -- by group, each in column order
        OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
      ) AS by_column
      GROUP BY by_column.g
      OFFSET 0                         -- the lanes' outputs made before any is looked at
    ) AS columns
    CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
      (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1),
      (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2),
      (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3),
      (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4),
      (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5),
      (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6),
      (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7),
      (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8)
    ) AS position (t, x)
    WHERE position.t IS NOT NULL
  ),
  residual3 AS MATERIALIZED (     -- [T, C] + [T, C] -> [T*C]: the block's output
    SELECT array_agg(e.a + e.b) AS x
    FROM (SELECT unnest(residual2.x) AS a, unnest(fcproj.x) AS b FROM residual2 JOIN fcproj USING (t) ORDER BY t) AS e
  )
  SELECT residual3.x,
         (SELECT array_agg(new.k)    -- the new positions' keys and values, [T*C] each, for the cache
          FROM (SELECT unnest(x[40 + 1 : 2 * 40]) AS k FROM qkv ORDER BY t) AS new) AS k,
         (SELECT array_agg(new.v)
          FROM (SELECT unnest(x[2 * 40 + 1 : 3 * 40]) AS v FROM qkv ORDER BY t) AS new) AS v
  FROM residual3
),
block_2 AS MATERIALIZED (       -- [T*C] -> [T*C]: block 2
  WITH
  residual AS MATERIALIZED (      -- [T*C] -> [T, C]: the block's input, one row per position
    SELECT t, input.x[t * 40 + 1 : (t + 1) * 40] AS x
    FROM (SELECT (SELECT x FROM block_1) AS x) AS input
    CROSS JOIN generate_series(0, cardinality(input.x) / 40 - 1) AS t
  ),
  ln1 AS MATERIALIZED (           -- [T, C] -> [T, C]: ln_1
    SELECT input.t,
           (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
            FROM (SELECT unnest(input.x) AS x, unnest((SELECT values FROM ln_1_g WHERE block = 2)) AS g, unnest((SELECT values FROM ln_1_b WHERE block = 2)) AS b) AS e) AS x
    FROM residual AS input
    CROSS JOIN LATERAL (SELECT avg(e.x) AS mean, var_pop(e.x) AS variance FROM (SELECT unnest(input.x) AS x) AS e) AS stats
  ),
  qkv AS MATERIALIZED (           -- [T, C] -> [T, 3*C]: c_attn, q, k and v side by side
    WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
      SELECT (count(*)::int + 8 - 1) / 8 AS groups,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 0) AS lane_1,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 1) AS lane_2,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 2) AS lane_3,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 3) AS lane_4,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 4) AS lane_5,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 5) AS lane_6,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 6) AS lane_7,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 7) AS lane_8
      FROM (SELECT input.t, input.x::vector AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
            FROM ln1 AS input) AS position
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM c_attn_b
      WHERE block = 2
    )
    SELECT position.t, position.x
    FROM (
      SELECT by_column.g,              -- each lane's output vector: its products in column order
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y1) < 1e-20 THEN 0 ELSE by_column.y1 END) AS x1,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y2) < 1e-20 THEN 0 ELSE by_column.y2 END) AS x2,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y3) < 1e-20 THEN 0 ELSE by_column.y3 END) AS x3,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y4) < 1e-20 THEN 0 ELSE by_column.y4 END) AS x4,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y5) < 1e-20 THEN 0 ELSE by_column.y5 END) AS x5,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y6) < 1e-20 THEN 0 ELSE by_column.y6 END) AS x6,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y7) < 1e-20 THEN 0 ELSE by_column.y7 END) AS x7,
             array_agg(CASE WHEN by_column.col >= 80 AND abs(by_column.y8) < 1e-20 THEN 0 ELSE by_column.y8 END) AS x8
      FROM (
        SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
               inner_product(w.values, ((SELECT lane_1 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y1,
               inner_product(w.values, ((SELECT lane_2 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y2,
               inner_product(w.values, ((SELECT lane_3 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y3,
               inner_product(w.values, ((SELECT lane_4 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y4,
               inner_product(w.values, ((SELECT lane_5 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y5,
               inner_product(w.values, ((SELECT lane_6 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y6,
               inner_product(w.values, ((SELECT lane_7 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y7,
               inner_product(w.values, ((SELECT lane_8 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y8
        FROM c_attn_w AS w
        CROSS JOIN LATERAL generate_series(1, CASE WHEN w.col >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
        WHERE w.block = 2
        ORDER BY lanes.g, w.col        -- by group, each in column order
        OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
      ) AS by_column
      GROUP BY by_column.g
      OFFSET 0                         -- the lanes' outputs made before any is looked at
    ) AS columns
    CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
      (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1),
      (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2),
      (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3),
      (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4),
      (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5),
      (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6),
      (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7),
      (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8)
    ) AS position (t, x)
    WHERE position.t IS NOT NULL
  ),
  q AS MATERIALIZED (             -- [T, 3*C] -> [T, NH, HS]: each head's query, converted once
    SELECT qkv.t, fed.s, fed.place, head.h, qkv.x[head.h * 8 + 1 : (head.h + 1) * 8]::vector AS q
    FROM qkv
    JOIN fed USING (t)
    CROSS JOIN generate_series(0, 5 - 1) AS head(h)
  ),
  kv AS MATERIALIZED (            -- [Tk, NH, 2*HS]: each head's key and value of every place attended to
    SELECT fed.s, fed.place, head.h,
           qkv.x[40 + head.h * 8 + 1 : 40 + (head.h + 1) * 8]::vector AS k,
           qkv.x[2 * 40 + head.h * 8 + 1 : 2 * 40 + (head.h + 1) * 8]::vector AS v
    FROM qkv
    JOIN fed USING (t)
    CROSS JOIN generate_series(0, 5 - 1) AS head(h)
  ),
  preatt AS MATERIALIZED (        -- [T, NH, <=Tk]: q·k / sqrt(HS) for the places each query sees
    SELECT q.t, q.h, kv.place, kv.v, inner_product(kv.k, q.q) / sqrt(8) AS preatt
    FROM q
    JOIN kv ON kv.s = q.s AND kv.h = q.h AND kv.place <= q.place
  ),
  att AS (                        -- [T, NH, <=Tk]: softmax over each query's places
    SELECT t, h, place, v, e / sum(e) OVER query_row AS att
    FROM (
      SELECT t, h, place, v, CASE WHEN z > -300 THEN exp(z) ELSE 0 END AS e
      FROM (SELECT t, h, place, v,     -- the max over the same window as the sum: one sort serves both
                   preatt - max(preatt) OVER (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS z
            FROM preatt) AS shifted
    ) AS exps
    WINDOW query_row AS (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
  ),
  atty AS MATERIALIZED (          -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]: heads side by side
    SELECT t, gpt2sql.array_cat_agg(y ORDER BY h) AS x
    FROM (
      SELECT att.t, att.h, sum(att.v * array_fill(CASE WHEN att.att < 1e-20 THEN 0 ELSE att.att END, ARRAY[8])::vector ORDER BY att.place)::real[]::float8[] AS y
      FROM att
      GROUP BY att.t, att.h
    ) AS head_values
    GROUP BY t
  ),
  attproj AS MATERIALIZED (       -- [T, C] -> [T, C]: c_proj
    WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
      SELECT (count(*)::int + 8 - 1) / 8 AS groups,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 0) AS lane_1,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 1) AS lane_2,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 2) AS lane_3,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 3) AS lane_4,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 4) AS lane_5,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 5) AS lane_6,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 6) AS lane_7,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 7) AS lane_8
      FROM (SELECT input.t, input.x::vector AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
            FROM atty AS input) AS position
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM c_proj_b
      WHERE block = 2
    )
    SELECT position.t, position.x
    FROM (
      SELECT by_column.g,              -- each lane's output vector: its products in column order
             array_agg(by_column.y1) AS x1,
             array_agg(by_column.y2) AS x2,
             array_agg(by_column.y3) AS x3,
             array_agg(by_column.y4) AS x4,
             array_agg(by_column.y5) AS x5,
             array_agg(by_column.y6) AS x6,
             array_agg(by_column.y7) AS x7,
             array_agg(by_column.y8) AS x8
      FROM (
        SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
               inner_product(w.values, ((SELECT lane_1 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y1,
               inner_product(w.values, ((SELECT lane_2 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y2,
               inner_product(w.values, ((SELECT lane_3 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y3,
               inner_product(w.values, ((SELECT lane_4 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y4,
               inner_product(w.values, ((SELECT lane_5 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y5,
               inner_product(w.values, ((SELECT lane_6 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y6,
               inner_product(w.values, ((SELECT lane_7 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y7,
               inner_product(w.values, ((SELECT lane_8 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y8
        FROM c_proj_w AS w
        CROSS JOIN LATERAL generate_series(1, CASE WHEN w.col >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
        WHERE w.block = 2
        ORDER BY lanes.g, w.col        -- by group, each in column order
        OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
      ) AS by_column
      GROUP BY by_column.g
      OFFSET 0                         -- the lanes' outputs made before any is looked at
    ) AS columns
    CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
      (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1),
      (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2),
      (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3),
      (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4),
      (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5),
      (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6),
      (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7),
      (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8)
    ) AS position (t, x)
    WHERE position.t IS NOT NULL
  ),
  residual2 AS MATERIALIZED (     -- [T, C] + [T, C] -> [T, C]
    SELECT residual.t, (SELECT array_agg(e.a + e.b) FROM (SELECT unnest(residual.x) AS a, unnest(attproj.x) AS b) AS e) AS x
    FROM residual
    JOIN attproj USING (t)
  ),
  ln2 AS MATERIALIZED (           -- [T, C] -> [T, C]: ln_2
    SELECT input.t,
           (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
            FROM (SELECT unnest(input.x) AS x, unnest((SELECT values FROM ln_2_g WHERE block = 2)) AS g, unnest((SELECT values FROM ln_2_b WHERE block = 2)) AS b) AS e) AS x
    FROM residual2 AS input
    CROSS JOIN LATERAL (SELECT avg(e.x) AS mean, var_pop(e.x) AS variance FROM (SELECT unnest(input.x) AS x) AS e) AS stats
  ),
  fch AS MATERIALIZED (           -- [T, C] -> [T, 4*C]: mlp c_fc
    WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
      SELECT (count(*)::int + 8 - 1) / 8 AS groups,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 0) AS lane_1,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 1) AS lane_2,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 2) AS lane_3,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 3) AS lane_4,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 4) AS lane_5,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 5) AS lane_6,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 6) AS lane_7,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 7) AS lane_8
      FROM (SELECT input.t, input.x::vector AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
            FROM ln2 AS input) AS position
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM mlp_c_fc_b
      WHERE block = 2
    )
    SELECT position.t, position.x
    FROM (
      SELECT by_column.g,              -- each lane's output vector: its products in column order
             array_agg(by_column.y1) AS x1,
             array_agg(by_column.y2) AS x2,
             array_agg(by_column.y3) AS x3,
             array_agg(by_column.y4) AS x4,
             array_agg(by_column.y5) AS x5,
             array_agg(by_column.y6) AS x6,
             array_agg(by_column.y7) AS x7,
             array_agg(by_column.y8) AS x8
      FROM (
        SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
               inner_product(w.values, ((SELECT lane_1 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y1,
               inner_product(w.values, ((SELECT lane_2 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y2,
               inner_product(w.values, ((SELECT lane_3 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y3,
               inner_product(w.values, ((SELECT lane_4 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y4,
               inner_product(w.values, ((SELECT lane_5 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y5,
               inner_product(w.values, ((SELECT lane_6 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y6,
               inner_product(w.values, ((SELECT lane_7 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y7,
               inner_product(w.values, ((SELECT lane_8 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y8
        FROM mlp_c_fc_w AS w
        CROSS JOIN LATERAL generate_series(1, CASE WHEN w.col >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
        WHERE w.block = 2
        ORDER BY lanes.g, w.col        -- by group, each in column order
        OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
      ) AS by_column
      GROUP BY by_column.g
      OFFSET 0                         -- the lanes' outputs made before any is looked at
    ) AS columns
    CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
      (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1),
      (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2),
      (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3),
      (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4),
      (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5),
      (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6),
      (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7),
      (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8)
    ) AS position (t, x)
    WHERE position.t IS NOT NULL
  ),
  fch_gelu AS MATERIALIZED (      -- [T, 4*C] -> [T, 4*C]: gelu
    SELECT fch.t, (SELECT array_agg(0.5 * e.v * (1 + tanh(sqrt(2 / pi()) * e.v * (1 + 0.044715 * e.v * e.v)))) FROM (SELECT unnest(fch.x) AS v) AS e) AS x
    FROM fch
  ),
  fcproj AS MATERIALIZED (        -- [T, 4*C] -> [T, C]: mlp c_proj
    WITH activation AS MATERIALIZED (  -- each position's activation in the kernel's type, converted once, in W lanes
      SELECT (count(*)::int + 8 - 1) / 8 AS groups,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 0) AS lane_1,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 1) AS lane_2,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 2) AS lane_3,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 3) AS lane_4,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 4) AS lane_5,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 5) AS lane_6,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 6) AS lane_7,
             array_agg(ROW(position.t, 0, position.x)::position_activation ORDER BY position.n) FILTER (WHERE position.n % 8 = 7) AS lane_8
      FROM (SELECT input.t, input.x::vector AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
            FROM fch_gelu AS input) AS position
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM mlp_c_proj_b
      WHERE block = 2
    )
    SELECT position.t, position.x
    FROM (
      SELECT by_column.g,              -- each lane's output vector: its products in column order
             array_agg(by_column.y1) AS x1,
             array_agg(by_column.y2) AS x2,
             array_agg(by_column.y3) AS x3,
             array_agg(by_column.y4) AS x4,
             array_agg(by_column.y5) AS x5,
             array_agg(by_column.y6) AS x6,
             array_agg(by_column.y7) AS x7,
             array_agg(by_column.y8) AS x8
      FROM (
        SELECT w.col, lanes.g,         -- [n_out, T]: each stored row's products with W positions, in one row
               inner_product(w.values, ((SELECT lane_1 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y1,
               inner_product(w.values, ((SELECT lane_2 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y2,
               inner_product(w.values, ((SELECT lane_3 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y3,
               inner_product(w.values, ((SELECT lane_4 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y4,
               inner_product(w.values, ((SELECT lane_5 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y5,
               inner_product(w.values, ((SELECT lane_6 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y6,
               inner_product(w.values, ((SELECT lane_7 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y7,
               inner_product(w.values, ((SELECT lane_8 FROM activation)[lanes.g]).x)
               + (SELECT b FROM bias)[w.col + 1] AS y8
        FROM mlp_c_proj_w AS w
        CROSS JOIN LATERAL generate_series(1, CASE WHEN w.col >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
        WHERE w.block = 2
        ORDER BY lanes.g, w.col        -- by group, each in column order
        OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
      ) AS by_column
      GROUP BY by_column.g
      OFFSET 0                         -- the lanes' outputs made before any is looked at
    ) AS columns
    CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
      (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1),
      (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2),
      (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3),
      (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4),
      (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5),
      (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6),
      (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7),
      (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8)
    ) AS position (t, x)
    WHERE position.t IS NOT NULL
  ),
  residual3 AS MATERIALIZED (     -- [T, C] + [T, C] -> [T*C]: the block's output
    SELECT array_agg(e.a + e.b) AS x
    FROM (SELECT unnest(residual2.x) AS a, unnest(fcproj.x) AS b FROM residual2 JOIN fcproj USING (t) ORDER BY t) AS e
  )
  SELECT residual3.x,
         (SELECT array_agg(new.k)    -- the new positions' keys and values, [T*C] each, for the cache
          FROM (SELECT unnest(x[40 + 1 : 2 * 40]) AS k FROM qkv ORDER BY t) AS new) AS k,
         (SELECT array_agg(new.v)
          FROM (SELECT unnest(x[2 * 40 + 1 : 3 * 40]) AS v FROM qkv ORDER BY t) AS new) AS v
  FROM residual3
),
final AS MATERIALIZED (         -- [T*C] -> [T, C]
  -- final: the last block's output, one row per position: every position, or only the last of
  -- each sequence, whose logits choose its next token.
  -- Inputs: the last block's output (float8[T*C]); fed (t, s); which positions are kept.
  -- [T*C] -> [T', C]
  SELECT fed.t, last.x[fed.t * 40 + 1 : (fed.t + 1) * 40] AS x
  FROM (SELECT (SELECT x FROM block_2) AS x) AS last
  CROSS JOIN fed
  WHERE true
),
lnf AS MATERIALIZED (           -- [T', C] -> [T', C]: ln_f
  SELECT input.t,
         (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
          FROM (SELECT unnest(input.x) AS x, unnest((SELECT values FROM ln_f_g)) AS g, unnest((SELECT values FROM ln_f_b)) AS b) AS e) AS x
  FROM final AS input
  CROSS JOIN LATERAL (SELECT avg(e.x) AS mean, var_pop(e.x) AS variance FROM (SELECT unnest(input.x) AS x) AS e) AS stats
)
SELECT t, x
FROM lnf
ORDER BY t
