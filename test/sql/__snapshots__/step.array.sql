-- step: the engine's statement for each new token. It runs every block over the positions fed
-- and chooses each sequence's next token from the logits of its last position. Batched (the
-- incremental engine, src/engine/scheduler.ts), it advances several generations at once: each
-- has its own cache, places and sampling options, and every weight row is read once for all of
-- them; it also returns the new positions' keys and values, which a statement of their own
-- appends to the caches (kv_save.sql). The model's logits become the logits sampling reads
-- once each sequence's penalties are subtracted (penalties.sql). A generation fed its whole
-- prompt is being prefilled, fed one token it takes a step. Without the cache it is the article's full recompute of one
-- sequence. Batched, it appends the new keys and values to the caches itself (the CTE saved) when
-- no scan of it has parallel workers; with workers it writes nothing (PostgreSQL gives a
-- statement that writes none) and returns them, for kv_save.sql to append in a statement of its
-- own.
-- [T] -> [S]: each sequence's chosen token and its bytes (and, batched, the new keys and values)
WITH RECURSIVE
fed AS MATERIALIZED (           -- [T]: (t, s, place, token)
  -- fed_batch: the positions of several generations fed to one forward pass (a batched step), one
  -- row each: t numbers them from 0 across the batch, s is the generation's index in the batch,
  -- place its place in that generation's text. A generation's positions are consecutive, in place
  -- order: a prompt being prefilled has all of its positions, a generation in progress the one
  -- token chosen by the step before. Every weight row is read once for all of them; attention
  -- keeps each generation to its own places (attn_scores.sql joins on s).
  -- Inputs: ids, places, seqs (int[] each, one value per position): its token, its place, its
  -- generation (0-based).
  -- [T] -> [T]: (t, s, place, token)
  SELECT (input.t - 1)::int AS t, input.s, input.place, input.token
  FROM unnest($1::int[], $2::int[], $3::int[]) WITH ORDINALITY AS input(token, place, s, t)
),
sequences AS MATERIALIZED (     -- [S]: (s, session)
  -- sequences: the generation session of each sequence of a batched step, whose keys and values
  -- cached by earlier steps attention reads (kv_read.sql) and the new ones kv_save.sql appends.
  -- Inputs: sessions (bigint[], one per sequence, in the order of s).
  -- [S] -> [S]: (s, session)
  SELECT (cached.s - 1)::int AS s, cached.session
  FROM unnest($4::bigint[]) WITH ORDINALITY AS cached(session, s)
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
  CROSS JOIN LATERAL unnest(wte.values, wpe.values) WITH ORDINALITY AS e(token_value, place_value, i)
),
forward (block, x, k, v) AS (   -- [T*C] -> [T*C] for each block
  -- forward: every transformer block, in the article's shape: the body of a recursive CTE with one
  -- row per block that carries the whole hidden state of the T new positions as one float8[] of T*C
  -- values. Row -1 is the embedding; row b is the output of block b, computed from row b - 1 in a
  -- LATERAL subquery (PostgreSQL forbids aggregates at the top level of a recursive term, not
  -- inside a subquery). Each row also carries its block's keys and values of the new positions.
  -- Inputs: encoded (x float8[T*C]); n_layer, from the catalog.
  -- [T*C] -> [T*C] for each block
  SELECT -1, encoded.x, NULL::float8[], NULL::float8[]
  FROM encoded
  UNION ALL
  SELECT forward.block + 1, transformer_block.x, transformer_block.k, transformer_block.v
  FROM forward
  CROSS JOIN LATERAL (
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
      FROM (SELECT forward.x AS x) AS input
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
              FROM (SELECT unnest(input.x) AS x, unnest((SELECT values FROM ln_1_g WHERE block = forward.block + 1)) AS g, unnest((SELECT values FROM ln_1_b WHERE block = forward.block + 1)) AS b) AS e) AS x
      FROM residual AS input
      CROSS JOIN LATERAL (SELECT avg(e.x) AS mean, var_pop(e.x) AS variance FROM (SELECT unnest(input.x) AS x) AS e) AS stats
    ),
    qkv AS MATERIALIZED (           -- [T, C] -> [T, 3*C]: c_attn, q, k and v side by side
      -- linear: x @ w + b for every position. w is stored one output column per row (w.col), so each
      -- output value is one dot product of a stored row with a position's activation, computed by the
      -- model's kernel. Used by attn (c_attn, c_proj) and mlp (c_fc, c_proj).
      -- Each stored row read computes its products with W positions in the columns of one output row
      -- (y1 … yW, the lanes): nothing is made per stored row and position. The positions' activations
      -- are prepared once, in the kernel's type, into one array per lane (lane i of group g is the
      -- position numbered W·(g − 1) + i − 1). With at most W positions there is one group, each lane's
      -- activation a value PostgreSQL computes before the scan and hands to the parallel workers that
      -- share it (each product is computed whole in one process, so any number of workers gives the
      -- same values). With more, the matrix is read once for each group of W (lanes.g), in one
      -- process, with the group's activations taken out of the lanes before its scan. Each lane's
      -- products are aggregated in column order, the order in which the primary key (block, col,
      -- part) reads the rows: nothing is sorted. The vector kernel's c_attn counts its values'
      -- components below 1e-20 as 0 as they are aggregated (sql/README.md, Numerics).
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
        FROM (SELECT input.t, input.x AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
              FROM ln1 AS input) AS position
      ),
      bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
        SELECT values::float8[] AS b
        FROM c_attn_b
        WHERE block = forward.block + 1
      )
      SELECT position.t, position.x      -- for each group of W positions, one after another:
      FROM generate_series(1, (SELECT groups FROM activation)) AS lanes (g)
      CROSS JOIN LATERAL (               -- the group's positions and activations, taken out of the lanes once
        SELECT
          (lane_1[lanes.g]).t AS t1,
          (lane_1[lanes.g]).x AS x1,
          (lane_2[lanes.g]).t AS t2,
          (lane_2[lanes.g]).x AS x2,
          (lane_3[lanes.g]).t AS t3,
          (lane_3[lanes.g]).x AS x3,
          (lane_4[lanes.g]).t AS t4,
          (lane_4[lanes.g]).x AS x4,
          (lane_5[lanes.g]).t AS t5,
          (lane_5[lanes.g]).x AS x5,
          (lane_6[lanes.g]).t AS t6,
          (lane_6[lanes.g]).x AS x6,
          (lane_7[lanes.g]).t AS t7,
          (lane_7[lanes.g]).x AS x7,
          (lane_8[lanes.g]).t AS t8,
          (lane_8[lanes.g]).x AS x8
        FROM activation
        OFFSET 0                         -- computed once a group, not again for every row read
      ) AS lane
      CROSS JOIN LATERAL (
        SELECT                           -- each lane's output vector: its products in column order
          array_agg(by_column.y1) AS x1,
          array_agg(by_column.y2) AS x2,
          array_agg(by_column.y3) AS x3,
          array_agg(by_column.y4) AS x4,
          array_agg(by_column.y5) AS x5,
          array_agg(by_column.y6) AS x6,
          array_agg(by_column.y7) AS x7,
          array_agg(by_column.y8) AS x8
        FROM (
          SELECT w.col,                  -- [n_out, W]: each stored row's products with the group's positions, in one row
                 gpt2sql.dot(w.values, lane.x1)
                 + (SELECT b FROM bias)[w.col + 1] AS y1,
                 gpt2sql.dot(w.values, lane.x2)
                 + (SELECT b FROM bias)[w.col + 1] AS y2,
                 gpt2sql.dot(w.values, lane.x3)
                 + (SELECT b FROM bias)[w.col + 1] AS y3,
                 gpt2sql.dot(w.values, lane.x4)
                 + (SELECT b FROM bias)[w.col + 1] AS y4,
                 gpt2sql.dot(w.values, lane.x5)
                 + (SELECT b FROM bias)[w.col + 1] AS y5,
                 gpt2sql.dot(w.values, lane.x6)
                 + (SELECT b FROM bias)[w.col + 1] AS y6,
                 gpt2sql.dot(w.values, lane.x7)
                 + (SELECT b FROM bias)[w.col + 1] AS y7,
                 gpt2sql.dot(w.values, lane.x8)
                 + (SELECT b FROM bias)[w.col + 1] AS y8
          FROM c_attn_w AS w
          WHERE w.block = forward.block + 1
          ORDER BY w.col                 -- the primary key's order, read in it (no sort)
          OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
        ) AS by_column
      ) AS columns
      CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
        (lane.t1, columns.x1),
        (lane.t2, columns.x2),
        (lane.t3, columns.x3),
        (lane.t4, columns.x4),
        (lane.t5, columns.x5),
        (lane.t6, columns.x6),
        (lane.t7, columns.x7),
        (lane.t8, columns.x8)
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
      SELECT qkv.t, fed.s, fed.place, head.h, qkv.x[head.h * 8 + 1 : (head.h + 1) * 8] AS q
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
      -- kv_read (stage attn): each head's key and value of the places cached by earlier statements of
      -- each sequence's generation session (the first Tk - T places of each), stored as attention uses
      -- them, followed by the new positions' (attn_kv.sql adds them after the UNION ALL).
      -- Inputs: sequences (s, session); the block being computed; kv_cache, in the model's schema.
      -- [] -> [Tk - T, NH, 2*HS]
      SELECT sequences.s, kv_cache.place, kv_cache.head AS h, kv_cache.k, kv_cache.v
      FROM sequences
      JOIN kv_cache ON kv_cache.session = sequences.session
      WHERE kv_cache.block = forward.block + 1
      UNION ALL
      SELECT fed.s, fed.place, head.h,
             qkv.x[40 + head.h * 8 + 1 : 40 + (head.h + 1) * 8] AS k,
             qkv.x[2 * 40 + head.h * 8 + 1 : 2 * 40 + (head.h + 1) * 8] AS v
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
      SELECT q.t, q.h, kv.place, kv.v, (SELECT sum(x * y) FROM (SELECT unnest(kv.k) AS x, unnest(q.q) AS y) AS pair) / sqrt(8) AS preatt
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
        -- atty_columns (stage attn): each head's attention output one value at a time, for kernels
        -- without an aggregate of their own: the attention weights of a position's places (in place
        -- order) and the matrix of their values ([Tk, HS]), then y[i] = Σ_p att[p] · v[p][i], by the
        -- kernel's arithmetic, the head's HS values in order (an aggregate takes its rows in the order
        -- its FROM gives them, here generate_series's).
        -- Inputs: att (t, h, place, v float8[HS], att).
        -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, NH, HS] (rows t, h, y float8[HS])
        SELECT heads.t, heads.h,
               (SELECT array_agg((SELECT sum(x * y) FROM (SELECT unnest(heads.att) AS x, unnest(heads.v[:][i:i]) AS y) AS pair)) FROM generate_series(1, 8) AS i) AS y
        FROM (
          SELECT att.t, att.h, array_agg(att.att ORDER BY att.place) AS att, array_agg(att.v ORDER BY att.place) AS v
          FROM att
          GROUP BY att.t, att.h
        ) AS heads
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
        FROM (SELECT input.t, input.x AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
              FROM atty AS input) AS position
      ),
      bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
        SELECT values::float8[] AS b
        FROM c_proj_b
        WHERE block = forward.block + 1
      )
      SELECT position.t, position.x      -- for each group of W positions, one after another:
      FROM generate_series(1, (SELECT groups FROM activation)) AS lanes (g)
      CROSS JOIN LATERAL (               -- the group's positions and activations, taken out of the lanes once
        SELECT
          (lane_1[lanes.g]).t AS t1,
          (lane_1[lanes.g]).x AS x1,
          (lane_2[lanes.g]).t AS t2,
          (lane_2[lanes.g]).x AS x2,
          (lane_3[lanes.g]).t AS t3,
          (lane_3[lanes.g]).x AS x3,
          (lane_4[lanes.g]).t AS t4,
          (lane_4[lanes.g]).x AS x4,
          (lane_5[lanes.g]).t AS t5,
          (lane_5[lanes.g]).x AS x5,
          (lane_6[lanes.g]).t AS t6,
          (lane_6[lanes.g]).x AS x6,
          (lane_7[lanes.g]).t AS t7,
          (lane_7[lanes.g]).x AS x7,
          (lane_8[lanes.g]).t AS t8,
          (lane_8[lanes.g]).x AS x8
        FROM activation
        OFFSET 0                         -- computed once a group, not again for every row read
      ) AS lane
      CROSS JOIN LATERAL (
        SELECT                           -- each lane's output vector: its products in column order
          array_agg(by_column.y1) AS x1,
          array_agg(by_column.y2) AS x2,
          array_agg(by_column.y3) AS x3,
          array_agg(by_column.y4) AS x4,
          array_agg(by_column.y5) AS x5,
          array_agg(by_column.y6) AS x6,
          array_agg(by_column.y7) AS x7,
          array_agg(by_column.y8) AS x8
        FROM (
          SELECT w.col,                  -- [n_out, W]: each stored row's products with the group's positions, in one row
                 gpt2sql.dot(w.values, lane.x1)
                 + (SELECT b FROM bias)[w.col + 1] AS y1,
                 gpt2sql.dot(w.values, lane.x2)
                 + (SELECT b FROM bias)[w.col + 1] AS y2,
                 gpt2sql.dot(w.values, lane.x3)
                 + (SELECT b FROM bias)[w.col + 1] AS y3,
                 gpt2sql.dot(w.values, lane.x4)
                 + (SELECT b FROM bias)[w.col + 1] AS y4,
                 gpt2sql.dot(w.values, lane.x5)
                 + (SELECT b FROM bias)[w.col + 1] AS y5,
                 gpt2sql.dot(w.values, lane.x6)
                 + (SELECT b FROM bias)[w.col + 1] AS y6,
                 gpt2sql.dot(w.values, lane.x7)
                 + (SELECT b FROM bias)[w.col + 1] AS y7,
                 gpt2sql.dot(w.values, lane.x8)
                 + (SELECT b FROM bias)[w.col + 1] AS y8
          FROM c_proj_w AS w
          WHERE w.block = forward.block + 1
          ORDER BY w.col                 -- the primary key's order, read in it (no sort)
          OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
        ) AS by_column
      ) AS columns
      CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
        (lane.t1, columns.x1),
        (lane.t2, columns.x2),
        (lane.t3, columns.x3),
        (lane.t4, columns.x4),
        (lane.t5, columns.x5),
        (lane.t6, columns.x6),
        (lane.t7, columns.x7),
        (lane.t8, columns.x8)
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
              FROM (SELECT unnest(input.x) AS x, unnest((SELECT values FROM ln_2_g WHERE block = forward.block + 1)) AS g, unnest((SELECT values FROM ln_2_b WHERE block = forward.block + 1)) AS b) AS e) AS x
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
        FROM (SELECT input.t, input.x AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
              FROM ln2 AS input) AS position
      ),
      bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
        SELECT values::float8[] AS b
        FROM mlp_c_fc_b
        WHERE block = forward.block + 1
      )
      SELECT position.t, position.x      -- for each group of W positions, one after another:
      FROM generate_series(1, (SELECT groups FROM activation)) AS lanes (g)
      CROSS JOIN LATERAL (               -- the group's positions and activations, taken out of the lanes once
        SELECT
          (lane_1[lanes.g]).t AS t1,
          (lane_1[lanes.g]).x AS x1,
          (lane_2[lanes.g]).t AS t2,
          (lane_2[lanes.g]).x AS x2,
          (lane_3[lanes.g]).t AS t3,
          (lane_3[lanes.g]).x AS x3,
          (lane_4[lanes.g]).t AS t4,
          (lane_4[lanes.g]).x AS x4,
          (lane_5[lanes.g]).t AS t5,
          (lane_5[lanes.g]).x AS x5,
          (lane_6[lanes.g]).t AS t6,
          (lane_6[lanes.g]).x AS x6,
          (lane_7[lanes.g]).t AS t7,
          (lane_7[lanes.g]).x AS x7,
          (lane_8[lanes.g]).t AS t8,
          (lane_8[lanes.g]).x AS x8
        FROM activation
        OFFSET 0                         -- computed once a group, not again for every row read
      ) AS lane
      CROSS JOIN LATERAL (
        SELECT                           -- each lane's output vector: its products in column order
          array_agg(by_column.y1) AS x1,
          array_agg(by_column.y2) AS x2,
          array_agg(by_column.y3) AS x3,
          array_agg(by_column.y4) AS x4,
          array_agg(by_column.y5) AS x5,
          array_agg(by_column.y6) AS x6,
          array_agg(by_column.y7) AS x7,
          array_agg(by_column.y8) AS x8
        FROM (
          SELECT w.col,                  -- [n_out, W]: each stored row's products with the group's positions, in one row
                 gpt2sql.dot(w.values, lane.x1)
                 + (SELECT b FROM bias)[w.col + 1] AS y1,
                 gpt2sql.dot(w.values, lane.x2)
                 + (SELECT b FROM bias)[w.col + 1] AS y2,
                 gpt2sql.dot(w.values, lane.x3)
                 + (SELECT b FROM bias)[w.col + 1] AS y3,
                 gpt2sql.dot(w.values, lane.x4)
                 + (SELECT b FROM bias)[w.col + 1] AS y4,
                 gpt2sql.dot(w.values, lane.x5)
                 + (SELECT b FROM bias)[w.col + 1] AS y5,
                 gpt2sql.dot(w.values, lane.x6)
                 + (SELECT b FROM bias)[w.col + 1] AS y6,
                 gpt2sql.dot(w.values, lane.x7)
                 + (SELECT b FROM bias)[w.col + 1] AS y7,
                 gpt2sql.dot(w.values, lane.x8)
                 + (SELECT b FROM bias)[w.col + 1] AS y8
          FROM mlp_c_fc_w AS w
          WHERE w.block = forward.block + 1
          ORDER BY w.col                 -- the primary key's order, read in it (no sort)
          OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
        ) AS by_column
      ) AS columns
      CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
        (lane.t1, columns.x1),
        (lane.t2, columns.x2),
        (lane.t3, columns.x3),
        (lane.t4, columns.x4),
        (lane.t5, columns.x5),
        (lane.t6, columns.x6),
        (lane.t7, columns.x7),
        (lane.t8, columns.x8)
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
        FROM (SELECT input.t, input.x AS x, (row_number() OVER (ORDER BY input.t) - 1)::int AS n
              FROM fch_gelu AS input) AS position
      ),
      bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
        SELECT values::float8[] AS b
        FROM mlp_c_proj_b
        WHERE block = forward.block + 1
      )
      SELECT position.t, position.x      -- for each group of W positions, one after another:
      FROM generate_series(1, (SELECT groups FROM activation)) AS lanes (g)
      CROSS JOIN LATERAL (               -- the group's positions and activations, taken out of the lanes once
        SELECT
          (lane_1[lanes.g]).t AS t1,
          (lane_1[lanes.g]).x AS x1,
          (lane_2[lanes.g]).t AS t2,
          (lane_2[lanes.g]).x AS x2,
          (lane_3[lanes.g]).t AS t3,
          (lane_3[lanes.g]).x AS x3,
          (lane_4[lanes.g]).t AS t4,
          (lane_4[lanes.g]).x AS x4,
          (lane_5[lanes.g]).t AS t5,
          (lane_5[lanes.g]).x AS x5,
          (lane_6[lanes.g]).t AS t6,
          (lane_6[lanes.g]).x AS x6,
          (lane_7[lanes.g]).t AS t7,
          (lane_7[lanes.g]).x AS x7,
          (lane_8[lanes.g]).t AS t8,
          (lane_8[lanes.g]).x AS x8
        FROM activation
        OFFSET 0                         -- computed once a group, not again for every row read
      ) AS lane
      CROSS JOIN LATERAL (
        SELECT                           -- each lane's output vector: its products in column order
          array_agg(by_column.y1) AS x1,
          array_agg(by_column.y2) AS x2,
          array_agg(by_column.y3) AS x3,
          array_agg(by_column.y4) AS x4,
          array_agg(by_column.y5) AS x5,
          array_agg(by_column.y6) AS x6,
          array_agg(by_column.y7) AS x7,
          array_agg(by_column.y8) AS x8
        FROM (
          SELECT w.col,                  -- [n_out, W]: each stored row's products with the group's positions, in one row
                 gpt2sql.dot(w.values, lane.x1)
                 + (SELECT b FROM bias)[w.col + 1] AS y1,
                 gpt2sql.dot(w.values, lane.x2)
                 + (SELECT b FROM bias)[w.col + 1] AS y2,
                 gpt2sql.dot(w.values, lane.x3)
                 + (SELECT b FROM bias)[w.col + 1] AS y3,
                 gpt2sql.dot(w.values, lane.x4)
                 + (SELECT b FROM bias)[w.col + 1] AS y4,
                 gpt2sql.dot(w.values, lane.x5)
                 + (SELECT b FROM bias)[w.col + 1] AS y5,
                 gpt2sql.dot(w.values, lane.x6)
                 + (SELECT b FROM bias)[w.col + 1] AS y6,
                 gpt2sql.dot(w.values, lane.x7)
                 + (SELECT b FROM bias)[w.col + 1] AS y7,
                 gpt2sql.dot(w.values, lane.x8)
                 + (SELECT b FROM bias)[w.col + 1] AS y8
          FROM mlp_c_proj_w AS w
          WHERE w.block = forward.block + 1
          ORDER BY w.col                 -- the primary key's order, read in it (no sort)
          OFFSET 0                       -- a subquery of its own: the products computed where the rows are read
        ) AS by_column
      ) AS columns
      CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
        (lane.t1, columns.x1),
        (lane.t2, columns.x2),
        (lane.t3, columns.x3),
        (lane.t4, columns.x4),
        (lane.t5, columns.x5),
        (lane.t6, columns.x6),
        (lane.t7, columns.x7),
        (lane.t8, columns.x8)
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
  ) AS transformer_block
  WHERE forward.block + 1 < 3
),
final AS MATERIALIZED (         -- [T*C] -> [S, C]: each sequence's last position
  -- final: the last block's output, one row per position: every position, or only the last of
  -- each sequence, whose logits choose its next token.
  -- Inputs: the last block's output (float8[T*C]); fed (t, s); which positions are kept.
  -- [T*C] -> [T', C]
  SELECT fed.t, last.x[fed.t * 40 + 1 : (fed.t + 1) * 40] AS x
  FROM (SELECT (SELECT x FROM forward WHERE block = 2) AS x) AS last
  CROSS JOIN fed
  WHERE fed.t IN (SELECT max(t) FROM fed GROUP BY s)
),
lnf AS MATERIALIZED (           -- [T', C] -> [T', C]: ln_f
  SELECT input.t,
         (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
          FROM (SELECT unnest(input.x) AS x, unnest((SELECT values FROM ln_f_g)) AS g, unnest((SELECT values FROM ln_f_b)) AS b) AS e) AS x
  FROM final AS input
  CROSS JOIN LATERAL (SELECT avg(e.x) AS mean, var_pop(e.x) AS variance FROM (SELECT unnest(input.x) AS x) AS e) AS stats
),
model_logits AS (               -- [T', C] -> [T', V]
  -- logits_shared: logits.sql (each position's logits, lnf @ lm_headᵀ, and the largest) for more
  -- positions than a token's row meets at once, in a statement whose scans parallel workers share:
  -- each token's row is read once and meets every group of W positions, as in linear_shared.sql.
  -- Inputs: lnf (t, x float8[C]); lm_head.
  -- [T, C] -> [T, V]: (t, logit float8[V], max_logit)
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
    FROM (SELECT lnf.t, lnf.x AS x, (row_number() OVER (ORDER BY lnf.t) - 1)::int AS n
          FROM lnf) AS position
  )
  SELECT position.t, position.x AS logit, position.m AS max_logit
  FROM (
    SELECT by_token.g,               -- each lane's logits, in token order
           array_agg(by_token.y1) AS x1, max(by_token.y1) AS m1,
           array_agg(by_token.y2) AS x2, max(by_token.y2) AS m2,
           array_agg(by_token.y3) AS x3, max(by_token.y3) AS m3,
           array_agg(by_token.y4) AS x4, max(by_token.y4) AS m4,
           array_agg(by_token.y5) AS x5, max(by_token.y5) AS m5,
           array_agg(by_token.y6) AS x6, max(by_token.y6) AS m6,
           array_agg(by_token.y7) AS x7, max(by_token.y7) AS m7,
           array_agg(by_token.y8) AS x8, max(by_token.y8) AS m8
    FROM (
      SELECT lm_head.token, lanes.g, -- [V, T]: each token's products with W positions, in one row
             gpt2sql.dot(lm_head.values, ((SELECT lane_1 FROM activation)[lanes.g]).x) AS y1,
             gpt2sql.dot(lm_head.values, ((SELECT lane_2 FROM activation)[lanes.g]).x) AS y2,
             gpt2sql.dot(lm_head.values, ((SELECT lane_3 FROM activation)[lanes.g]).x) AS y3,
             gpt2sql.dot(lm_head.values, ((SELECT lane_4 FROM activation)[lanes.g]).x) AS y4,
             gpt2sql.dot(lm_head.values, ((SELECT lane_5 FROM activation)[lanes.g]).x) AS y5,
             gpt2sql.dot(lm_head.values, ((SELECT lane_6 FROM activation)[lanes.g]).x) AS y6,
             gpt2sql.dot(lm_head.values, ((SELECT lane_7 FROM activation)[lanes.g]).x) AS y7,
             gpt2sql.dot(lm_head.values, ((SELECT lane_8 FROM activation)[lanes.g]).x) AS y8
      FROM lm_head
      CROSS JOIN LATERAL generate_series(1, CASE WHEN lm_head.token >= 0 THEN (SELECT groups FROM activation) END) AS lanes (g)
      ORDER BY lanes.g, lm_head.token  -- by group, each in token order
      OFFSET 0                         -- a subquery of its own: the products computed where the rows are read
    ) AS by_token
    GROUP BY by_token.g
    OFFSET 0                         -- the lanes' outputs made before any is looked at
  ) AS columns
  CROSS JOIN LATERAL (VALUES        -- each lane's position and vector
    (((SELECT lane_1 FROM activation)[columns.g]).t, columns.x1, columns.m1),
    (((SELECT lane_2 FROM activation)[columns.g]).t, columns.x2, columns.m2),
    (((SELECT lane_3 FROM activation)[columns.g]).t, columns.x3, columns.m3),
    (((SELECT lane_4 FROM activation)[columns.g]).t, columns.x4, columns.m4),
    (((SELECT lane_5 FROM activation)[columns.g]).t, columns.x5, columns.m5),
    (((SELECT lane_6 FROM activation)[columns.g]).t, columns.x6, columns.m6),
    (((SELECT lane_7 FROM activation)[columns.g]).t, columns.x7, columns.m7),
    (((SELECT lane_8 FROM activation)[columns.g]).t, columns.x8, columns.m8)
  ) AS position (t, x, m)
  WHERE position.t IS NOT NULL
),
choosing AS (                   -- [T']: how each sequence chooses
  -- choosing: how each sequence chooses its next token, at its last position fed: its own sampling
  -- options (the fields of src/sql/sampling-fields.ts, the rules of src/reference/sample.ts), draw,
  -- the index of the token being drawn in its generation (0 for the first), and how many
  -- alternatives to report with their log-probabilities (-1: none). One generation is a batch of
  -- one: every input is an array with one value per sequence, in the order of s.
  -- Inputs: lnf (t, x), the last position of each sequence; fed (t, s); one array per option.
  -- [S] -> [S]: (t, s, temperature, top_k, top_p, min_p, presence_penalty, frequency_penalty, seed,
  --   draw, logprobs, n)
  SELECT lnf.t, fed.s, options.*
  FROM lnf
  JOIN fed USING (t)
  JOIN unnest($5::float8[], $6::int[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::bigint[], $12::int[], $13::int[])
         WITH ORDINALITY AS options(temperature, top_k, top_p, min_p, presence_penalty, frequency_penalty, seed, draw, logprobs, n)
    ON options.n = fed.s + 1
),
-- penalties: OpenAI's presence and frequency penalties, at each sequence's last position, as
-- src/reference/sample.ts specifies (rule 0): the logit of each token the sequence has generated
-- so far (the prompt's tokens do not count) less presence_penalty, then less frequency_penalty
-- times how many times it was generated. A sequence without penalties, or that has generated
-- nothing yet, keeps the model's logits as they are: its array is not rebuilt.
-- Inputs: model_logits (t, logit float8[V], max_logit); choosing (t, s, presence_penalty,
-- frequency_penalty); the tokens each sequence has generated, rows (s, token), one per time.
-- [T', V] -> [T', V]: (t, logit, max_logit)
generated_count AS (            -- [S, <=n]: how many times each sequence generated each token
  SELECT generated.s, generated.token, count(*) AS count
  FROM (SELECT generated.s, generated.token FROM unnest($14::int[], $15::int[]) AS generated(s, token)) AS generated
  GROUP BY generated.s, generated.token
),
logits AS (                     -- [T', V]: the logits sampling reads
  SELECT model_logits.t, coalesce(penalized.logit, model_logits.logit) AS logit,
         coalesce((SELECT max(v) FROM unnest(penalized.logit) AS v), model_logits.max_logit) AS max_logit
  FROM model_logits
  JOIN choosing USING (t)
  LEFT JOIN LATERAL (
    SELECT array_agg(CASE WHEN generated_count.count IS NULL THEN token_logit.logit
                          ELSE token_logit.logit - choosing.presence_penalty
                               - choosing.frequency_penalty * generated_count.count END
                     ORDER BY token_logit.i) AS logit
    FROM unnest(model_logits.logit) WITH ORDINALITY AS token_logit(logit, i)
    LEFT JOIN generated_count ON generated_count.s = choosing.s AND generated_count.token = token_logit.i - 1
    WHERE choosing.presence_penalty <> 0 OR choosing.frequency_penalty <> 0
    HAVING count(generated_count.token) > 0
  ) AS penalized ON true
),
-- probs: softmax(logits / temperature) at each position that chooses a token (rule 2 of
-- src/reference/sample.ts), kept as the two numbers every token's probability comes from: the
-- position's largest z = logit / temperature, and total, the sum of exp(z - z_max) over the
-- vocabulary in token order, as the reference sums it. A token's probability is then
-- exp(z - z_max) / total; no row per token is made for tokens sampling does not keep. The
-- maximum of z is the largest logit (logits.sql finds it) divided by the temperature (dividing by
-- a positive number keeps the order, also after rounding): one pass over the logits. exp() of less than -700 is taken as 0 (e^-700 is
-- 1e-304): the quotient of a smaller one by the sum could fall below the smallest float8, which
-- PostgreSQL reports as an error where IEEE arithmetic gives 0 (see "Numerics" in sql/README.md).
-- None at a position whose temperature is 0 (greedy needs no probabilities).
-- Inputs: logits (t, logit float8[V], max_logit); choosing (t, temperature).
-- [T', V] -> [T']: (t, temperature, z_max, total)
softmax AS (                    -- [T']: each position's z_max and total, in one pass over its logits
  SELECT logits.t, choosing.temperature, scaled.z_max, sums.total
  FROM logits
  JOIN (SELECT * FROM choosing WHERE temperature > 0 OFFSET 0) AS choosing USING (t)  -- OFFSET 0: filtered
  CROSS JOIN LATERAL (SELECT logits.max_logit / choosing.temperature AS z_max
                      OFFSET 0) AS scaled  -- divided once, not again for every token
  CROSS JOIN LATERAL (
    SELECT sum(CASE WHEN v.z - scaled.z_max > -700 THEN exp(v.z - scaled.z_max) ELSE 0 END) AS total
    FROM (SELECT unnest(logits.logit) / choosing.temperature AS z) AS v  -- in token order
  ) AS sums
),
-- sample: chooses the next token at each position that chooses one, as src/reference/sample.ts
-- specifies, with that position's own options (choosing). temperature = 0 is greedy: the highest
-- logit, ties to the lowest id. Otherwise: keep the top_k most probable (0 keeps all),
-- renormalize; keep the nucleus, each token whose running sum of probability before it is < top_p
-- (1 keeps all), and of those the ones whose probability is at least min_p times the most
-- probable token's (0 keeps all), renormalize; pick the first token whose running sum exceeds
-- u = the first 32 bits of md5('seed:draw') / 2^32, or the last kept one if rounding leaves none.
-- "By probability" is logit descending, ties to the lower id; running sums are float8, in order.
-- Only what is kept is ranked, and only up to the pick: greedy takes the first token with the
-- largest logit (logits.sql found it: one search of the array); top-k the k largest (a bounded heap
-- of k); with top-p alone, a token whose probability is below (1 - top_p) / 2V can never be in the
-- nucleus (the tokens after it hold less than (1 - top_p) / 2, so the sum before it is at least
-- top_p), so only the tokens whose z = logit / temperature - z_max is above ln of that bound times
-- total (less a margin far wider than rounding: 1e-6, and |z_max| / 1e12) are sorted (top_p within
-- 1e-9 of 1: all); without top_k, neither is a token whose z is below ln(min_p) (less that margin),
-- which min_p drops whatever comes before it. Temperature alone renormalizes nothing and keeps
-- every token; unless the whole ranking is asked for (by_draw false: the explorer shows it), only
-- those the draw can reach are sorted: the tokens whose probability is below (1 - u) / 2V hold less
-- than (1 - u) / 2 together, so the running sum passes u before the first of them (u within 1e-9 of
-- 1: all). Each bound is computed once a position, as u is. What is kept is sorted once, each
-- position on its own; every running sum reads it in that order, and probabilities are computed
-- after the sort, as the rows are read: the pick reads them until its running sum first exceeds u
-- (running sums never go down) and stops: the token the whole ranking would give.
-- Inputs: logits (t, logit float8[V], max_logit), softmax (probs.sql); choosing (t, temperature,
-- top_k, top_p, min_p, seed, draw), draw being the index of the token being chosen (0 for the first).
-- [T', V] -> [T']
kept AS (                       -- [T', <=V]: what each sampling position keeps, by probability, and its pick
  SELECT softmax.t, position.token, position.rank, position.prob, position.running, position.picked
  FROM softmax
  JOIN choosing USING (t)
  JOIN logits USING (t)
  CROSS JOIN LATERAL (SELECT ('x' || substr(md5(choosing.seed::text || ':' || choosing.draw::text), 1, 8))::bit(32)::bigint
                             / 4294967296.0::float8 AS u
                      OFFSET 0) AS uniform  -- u in [0, 1), as the reference computes it (once, not per token)
  CROSS JOIN LATERAL (          -- the lowest z worth sorting (the bounds above, the highest that applies, less
    SELECT CASE WHEN choosing.top_k > 0 THEN '-Infinity'::float8  -- the margin), as a logit: one comparison a token
                ELSE (greatest(
                        CASE WHEN choosing.top_p < 1 - 1e-9
                             THEN ln((1 - choosing.top_p) / (2 * cardinality(logits.logit)) * softmax.total) END,
                        CASE WHEN choosing.min_p > 0 THEN ln(choosing.min_p) END,
                        CASE WHEN true AND choosing.top_p >= 1 AND choosing.min_p = 0 AND uniform.u <= 1 - 1e-9
                             THEN ln((1 - uniform.u) / (2 * cardinality(logits.logit)) * softmax.total) END,
                        '-Infinity'::float8) - 1e-6 - abs(softmax.z_max) / 1e12 + softmax.z_max) * softmax.temperature
           END AS logit
    OFFSET 0) AS lowest         -- computed once a position, not again for every token it is compared with
  CROSS JOIN LATERAL (
    WITH candidates AS NOT MATERIALIZED (  -- [<=V]: the tokens sampling may keep, most probable first,
      SELECT logit, i, CASE WHEN z > -700 THEN exp(z) ELSE 0 END / softmax.total AS prob  -- each one's
      FROM (SELECT logit, i, logit / softmax.temperature - softmax.z_max AS z  -- probability, computed
            FROM (SELECT logit, i                                               -- as it is read
                  FROM (SELECT unnest(logits.logit) AS logit, generate_subscripts(logits.logit, 1) AS i) AS token_logit
                  WHERE logit >= lowest.logit
                  ORDER BY logit DESC, i
                  LIMIT CASE WHEN choosing.top_k > 0 THEN choosing.top_k END) AS ranked) AS scaled
    ),
    nucleus AS (                -- the top_k renormalized (the sum of all of them, in rank order), and the
      SELECT logit, i, prob      -- running sum of probability before each token: those top_p keeps, and of
      FROM (SELECT logit, i, prob, own, coalesce(sum(prob) OVER (ORDER BY logit DESC, i ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
            FROM (SELECT logit, i, prob AS own, prob / CASE WHEN choosing.top_k > 0 THEN sum(prob) OVER whole ELSE 1 END AS prob
                  FROM candidates  -- them those min_p keeps (own: the probability before any renormalizing)
                  WHERE NOT (choosing.top_k = 0 AND choosing.top_p >= 1 AND choosing.min_p = 0)
                  WINDOW whole AS (ORDER BY logit DESC, i ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) AS top_k) AS ranked
      WHERE (choosing.top_p >= 1 OR before < choosing.top_p)
        AND (choosing.min_p = 0 OR own >= choosing.min_p * (1 / softmax.total))  -- the top token's probability is 1 / total
    ),
    renormalized AS (           -- every token (temperature alone), or the nucleus renormalized; each with
      SELECT logit, i, prob, sum(prob) OVER (ORDER BY logit DESC, i ROWS UNBOUNDED PRECEDING) AS running  -- its
      FROM ((SELECT logit, i, prob FROM candidates  -- running sum
             WHERE choosing.top_k = 0 AND choosing.top_p >= 1 AND choosing.min_p = 0
             ORDER BY logit DESC, i)  -- (as candidates are: this ORDER BY tells the planner so)
            UNION ALL
            (SELECT logit, i, prob / CASE WHEN choosing.top_p < 1 OR choosing.min_p > 0 THEN sum(prob) OVER whole ELSE 1 END AS prob
             FROM nucleus
             WINDOW whole AS (ORDER BY logit DESC, i ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
            ORDER BY logit DESC, i) AS kept
    )
    SELECT (i - 1)::int AS token, (row_number() OVER by_probability)::int AS rank, prob, running,
           -- the first running sum above u, or the last kept token if rounding leaves none
           CASE WHEN running > uniform.u THEN coalesce(lag(running) OVER by_probability, -1) <= uniform.u
                ELSE lead(running) OVER by_probability IS NULL END AS picked
    FROM renormalized
    WINDOW by_probability AS (ORDER BY logit DESC, i)
  ) AS position
),
chosen AS (                     -- [T', V] -> [T']
  (SELECT choosing.t, array_position(logits.logit, logits.max_logit) - 1 AS token  -- greedy: the first token
   FROM choosing                                                                    -- with the largest logit
   JOIN logits USING (t)
   WHERE choosing.temperature = 0)
  UNION ALL
  (SELECT choosing.t, (SELECT kept.token FROM kept WHERE kept.t = choosing.t AND kept.picked LIMIT 1) AS token
   FROM choosing                -- the one picked token: its LIMIT stops reading the position's ranking there
   WHERE choosing.temperature > 0)
)
-- step_tokens_kv: what a batched step returns, rows of two kinds: for each sequence s, the token
-- chosen and its bytes (rank 0; with logprobs, its log-probability, and ranks 1 to logprobs the
-- most probable tokens with theirs, from step_logprobs.sql); and for each block, the keys and
-- values of every new position (k and v, [T*C] each), for kv_save.sql to append to the cache.
-- Each kind leaves the other's columns NULL: the tokens are not repeated on every block's row.
-- [S], [n_layer, 2, T*C] -> [S * (1 + logprobs) + n_layer]
SELECT choosing.s, tokens.rank, tokens.token, vocab.bytes, tokens.logprob,
       NULL::int AS block, NULL::float8[] AS k, NULL::float8[] AS v
FROM (
  -- step_logprobs: the token each sequence chose (rank 0) and, for the sequences that ask for
  -- logprobs, its log-probability under the model's own distribution (log_softmax.sql: temperature
  -- 1, every token, before top-k and top-p) and the `logprobs` most probable tokens with theirs
  -- (ranks 1, 2, …: logit descending, ties to the lower id, a bounded sort of `logprobs` rows), as
  -- OpenAI's API reports them. The others get a NULL logprob and no alternatives: their logits
  -- are not summed.
  -- The model's own: its logits before the penalties too (model_logits, as vLLM reports them).
  -- Inputs: model_logits (t, logit float8[V], max_logit), chosen (t, token), choosing (t, logprobs).
  -- [T', V] -> [T' * (1 + logprobs)]: (t, rank, token, logprob)
  WITH logits AS (                -- [T'', V]: the logits of the sequences that ask for logprobs
    SELECT model_logits.t, model_logits.logit, model_logits.max_logit
    FROM model_logits
    JOIN choosing USING (t)
    WHERE choosing.logprobs >= 0
  ),
  -- log_softmax: each position's log-probabilities over the vocabulary under the model's own
  -- distribution (temperature 1, every token): logprob = logit - logsumexp(logits of the position),
  -- logsumexp computed as max + ln(sum(exp(logit - max))), so exp() never overflows and the largest
  -- term is 1; the sum runs in token order (the order of the position's logit array), as the
  -- reference's. A token's logprob is then one subtraction, logit[token + 1] - lse: nothing is
  -- made per token. exp() of less than -700 is taken as 0 (e^-700 is 1e-304, nothing beside the 1
  -- of the maximum): PostgreSQL reports an underflow as an error where IEEE arithmetic gives 0 (see
  -- "Numerics" in sql/README.md). A token's logprob is exact however far below the maximum it is:
  -- only the sum drops such terms.
  -- Inputs: logits (t, logit float8[V], max_logit), one row per position t.
  -- [T, V] -> [T]: (t, logit, lse)
  logsumexp AS (                  -- [T]: max + ln(sum(exp(logit - max))) of each position, beside its logits
    SELECT logits.t, logits.logit, logits.max_logit + ln(sums.total) AS lse
    FROM logits
    CROSS JOIN LATERAL (
      SELECT sum(CASE WHEN v.logit - logits.max_logit > -700 THEN exp(v.logit - logits.max_logit) ELSE 0 END) AS total
      FROM (SELECT unnest(logits.logit) AS logit) AS v  -- in token order
    ) AS sums
  )
  SELECT chosen.t, 0 AS rank, chosen.token, logsumexp.logit[chosen.token + 1] - logsumexp.lse AS logprob
  FROM chosen
  LEFT JOIN logsumexp USING (t)
  UNION ALL
  SELECT logsumexp.t, alternatives.rank, alternatives.token, alternatives.logit - logsumexp.lse
  FROM logsumexp
  JOIN choosing USING (t)
  CROSS JOIN LATERAL (            -- [logprobs]: rank 1 is the most probable
    SELECT (top.i - 1)::int AS token, top.logit, (row_number() OVER (ORDER BY top.logit DESC, top.i))::int AS rank
    FROM (SELECT logit, i
          FROM (SELECT unnest(logsumexp.logit) AS logit, generate_subscripts(logsumexp.logit, 1) AS i) AS token_logit
          ORDER BY logit DESC, i
          LIMIT choosing.logprobs) AS top
  ) AS alternatives
) AS tokens
JOIN choosing USING (t)
LEFT JOIN vocab USING (token)
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, new_kv.block, new_kv.k, new_kv.v
FROM (
  SELECT block, k, v FROM forward WHERE block >= 0
) AS new_kv
