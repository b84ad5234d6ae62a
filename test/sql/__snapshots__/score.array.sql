-- score: how probable the model finds a text, token by token: the forward pass over every
-- position, the logits of each (logits.sql) and their log-softmax (log_softmax.sql: the model's own
-- distribution, temperature 1, every token: one logsumexp per position). At position t the text goes on with the token fed at
-- t + 1: its logprob there is log p(ids[t+1] | ids[0..t]), what perplexity is computed from. The
-- last position has no token after it (NULL). The text's first token has no logprob: nothing
-- comes before it. Beside it, the `top` most probable tokens at t (0: none) with their logprobs
-- and bytes, most probable first (by logit, ties to the lower id, as next.sql ranks them: a
-- bounded sort of `top` rows).
-- Inputs: the forward pass's, fed.sql's ids (the text, fed from place 0: start = 0); top (int).
-- [T] -> [T]: (t, token, logprob, top_tokens, top_logprobs, top_bytes)
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
final AS MATERIALIZED (         -- [T*C] -> [T, C]
  -- final: the last block's output, one row per position: every position, or only the last of
  -- each sequence, whose logits choose its next token.
  -- Inputs: the last block's output (float8[T*C]); fed (t, s); which positions are kept.
  -- [T*C] -> [T', C]
  SELECT fed.t, last.x[fed.t * 40 + 1 : (fed.t + 1) * 40] AS x
  FROM (SELECT (SELECT x FROM forward WHERE block = 2) AS x) AS last
  CROSS JOIN fed
  WHERE true
),
lnf AS MATERIALIZED (           -- [T', C] -> [T', C]: ln_f
  SELECT input.t,
         (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
          FROM (SELECT unnest(input.x) AS x, unnest((SELECT values FROM ln_f_g)) AS g, unnest((SELECT values FROM ln_f_b)) AS b) AS e) AS x
  FROM final AS input
  CROSS JOIN LATERAL (SELECT avg(e.x) AS mean, var_pop(e.x) AS variance FROM (SELECT unnest(input.x) AS x) AS e) AS stats
),
logits AS (                     -- [T, C] -> [T, V]
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
),
following AS (                  -- [T]: the token fed after each position (NULL after the last)
  SELECT fed.t, fed_next.token
  FROM fed
  LEFT JOIN fed AS fed_next ON fed_next.s = fed.s AND fed_next.place = fed.place + 1
),
alternatives AS (               -- [T]: the top most probable tokens at each position, as arrays, most probable first
  SELECT logsumexp.t,
         array_agg(top.token ORDER BY top.logit DESC, top.token) AS tokens,
         array_agg(top.logit - logsumexp.lse ORDER BY top.logit DESC, top.token) AS logprobs,
         array_agg(vocab.bytes ORDER BY top.logit DESC, top.token) AS bytes
  FROM logsumexp
  CROSS JOIN LATERAL (SELECT (i - 1)::int AS token, logit
                      FROM (SELECT unnest(logsumexp.logit) AS logit, generate_subscripts(logsumexp.logit, 1) AS i) AS token_logit
                      ORDER BY logit DESC, i
                      LIMIT $3::int) AS top
  LEFT JOIN vocab USING (token)
  GROUP BY logsumexp.t
)
SELECT following.t, following.token, logsumexp.logit[following.token + 1] - logsumexp.lse AS logprob,
       coalesce(alternatives.tokens, '{}') AS top_tokens,
       coalesce(alternatives.logprobs, '{}') AS top_logprobs,
       coalesce(alternatives.bytes, '{}') AS top_bytes
FROM following
LEFT JOIN logsumexp ON logsumexp.t = following.t AND following.token IS NOT NULL
LEFT JOIN alternatives ON alternatives.t = following.t
ORDER BY following.t
