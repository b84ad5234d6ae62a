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
  CROSS JOIN LATERAL unnest((SELECT array_agg(cube_ll_coord(c.w, d)::float4 ORDER BY c.i, d)
          FROM unnest(wte.values) WITH ORDINALITY AS c(w, i), generate_series(1, cube_dim(c.w)) AS d), wpe.values) WITH ORDINALITY AS e(token_value, place_value, i)
),
block_0 AS MATERIALIZED (       -- [T*C] -> [T*C]: block 0
  -- block: one transformer block (stages ln_1, attn, ln_2, mlp), picoGPT's
  -- x = x + mha(layer_norm(x)); x = x + ffn(layer_norm(x)), as a chain of CTEs with llm.c's
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
    SELECT t, input.x[t * 256 + 1 : (t + 1) * 256] AS x
    FROM (SELECT (SELECT x FROM encoded) AS x) AS input
    CROSS JOIN generate_series(0, cardinality(input.x) / 256 - 1) AS t
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
            FROM unnest(input.x, (SELECT values FROM ln_1_g WHERE block = 0), (SELECT values FROM ln_1_b WHERE block = 0)) AS e(x, g, b)) AS x
    FROM residual AS input
    CROSS JOIN LATERAL (SELECT avg(x) AS mean, var_pop(x) AS variance FROM unnest(input.x) AS x) AS stats
  ),
  qkv AS MATERIALIZED (           -- [T, C] -> [T, 3*C]: c_attn, q, k and v side by side
    -- linear: x @ w + b for every position. w is stored one output column per row (w.col), so each
    -- output value is one dot product of a stored row with a position's activation, computed by the
    -- model's kernel. Used by attn (c_attn, c_proj) and mlp (c_fc, c_proj).
    -- Every position's activation is prepared once, in the kernel's type, into one array of
    -- position_activation, and the bias is read once: both are values PostgreSQL computes before the
    -- scan of the stored rows and hands to the parallel workers that share the scan (each row's dot
    -- products are computed in one process, so any number of workers gives the same values).
    -- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part 0, values) and
    -- b (block, values) of the layer; the block.
    -- [T, n_in] -> [T, n_out]
    WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
      SELECT array_agg(ROW(input.t, 0, (SELECT array_agg(chunk.c ORDER BY s) || cube(sum(cube_distance(chunk.c, '(0)'::cube) ^ 2))
          FROM generate_series(1, cardinality(input.x), 100) AS s
          CROSS JOIN LATERAL (SELECT cube(input.x[s : s + 99]) AS c) AS chunk))::position_activation ORDER BY input.t) AS x
      FROM ln1 AS input
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM c_attn_b
      WHERE block = 0
    )
    SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
    FROM (
      SELECT position.t, w.col,
             (cube_ll_coord(position.x[4], 1) + w.norm
               - (cube_distance(position.x[1], w.values[1]) ^ 2
                 + cube_distance(position.x[2], w.values[2]) ^ 2
                 + cube_distance(position.x[3], w.values[3]) ^ 2)) / 2
             + (SELECT b FROM bias)[w.col + 1] AS y
      FROM c_attn_w AS w
      -- Each stored row against every position. The CASE makes the positions depend on the row, so
      -- the planner reads each stored row once, instead of copying the rows aside to read them again
      -- for each position.
      CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
      WHERE w.block = 0
      OFFSET 0  -- a subquery of its own: the dot products are computed where the rows are read (in the
                -- workers), not after the sort by position, which would carry every stored row along
    ) AS product
    GROUP BY product.t
  ),
  q AS MATERIALIZED (             -- [T, 3*C] -> [T, NH, HS]: each head's query, converted once
    -- attn_q (stage attn, 1 of 5): causal self-attention starts by cutting each new position's
    -- query out of qkv, one row per position and head, converted once to the type the kernel's
    -- q·k takes, with the position's sequence and place, which say what it may attend to. (Then
    -- attn_kv, attn_scores, attn_softmax and atty: all heads at once.)
    -- Inputs: qkv (t, x float8[3*C]): q, k and v of the new positions side by side; fed (t, s, place).
    -- [T, 3*C] -> [T, NH, HS]
    SELECT qkv.t, fed.s, fed.place, head.h, cube(qkv.x[head.h * 64 + 1 : (head.h + 1) * 64]) AS q
    FROM qkv
    JOIN fed USING (t)
    CROSS JOIN generate_series(0, 4 - 1) AS head(h)
  ),
  kv AS MATERIALIZED (            -- [Tk, NH, 2*HS]: each head's key and value of every place attended to
    -- attn_kv (stage attn, 2 of 5): each head's key and value of every place a new position may
    -- attend to, with its sequence: the places cached by earlier statements of each generation
    -- (kv_read.sql), then the new positions' own, cut out of qkv, in the types the kernel's
    -- arithmetic takes.
    -- Inputs: qkv (t, x float8[3*C]); fed (t, s, place).
    -- [T, 3*C] -> [Tk, NH, 2*HS]
    SELECT fed.s, fed.place, head.h,
           cube(qkv.x[256 + head.h * 64 + 1 : 256 + (head.h + 1) * 64]) AS k,
           qkv.x[2 * 256 + head.h * 64 + 1 : 2 * 256 + (head.h + 1) * 64] AS v
    FROM qkv
    JOIN fed USING (t)
    CROSS JOIN generate_series(0, 4 - 1) AS head(h)
  ),
  preatt AS MATERIALIZED (        -- [T, NH, <=Tk]: q·k / sqrt(HS) for the places each query sees
    -- attn_scores (stage attn, 3 of 5): preatt = q·k / sqrt(HS), each new position's query against
    -- the key of every place of its own sequence up to and including its own (the causal mask:
    -- place <= the query's), computed by the kernel's q·k. Each score carries its place's value
    -- along, so att @ v reads them in place order without a join.
    -- Inputs: q (t, s, place, h, q) and kv (s, place, h, k, v).
    -- [T, NH, HS] x [Tk, NH, HS] -> [T, NH, <=Tk]
    SELECT q.t, q.h, kv.place, kv.v, (cube_distance(kv.k, '(0)'::cube) ^ 2 + cube_distance(q.q, '(0)'::cube) ^ 2 - cube_distance(kv.k, q.q) ^ 2) / 2 / sqrt(64) AS preatt
    FROM q
    JOIN kv ON kv.s = q.s AND kv.h = q.h AND kv.place <= q.place
  ),
  att AS MATERIALIZED (           -- [T, NH, <=Tk]: softmax over each query's places
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
      FROM (SELECT t, h, place, v, preatt - max(preatt) OVER (PARTITION BY t, h) AS z FROM preatt) AS shifted
    ) AS exps
    WINDOW query_row AS (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
  ),
  atty AS MATERIALIZED (          -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]: heads side by side
    -- atty (stage attn, 5 of 5): att @ v, each head's attention output, the heads side by side:
    -- the values summed with the attention weights, by the kernel's aggregate (atty_sum.sql) or one
    -- output value at a time (atty_columns.sql).
    -- Inputs: att (t, h, place, v, att).
    -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]
    SELECT t, array_agg(y ORDER BY h, i) AS x
    FROM (
      -- atty_columns (stage attn): each head's attention output one value at a time, for kernels
      -- without an aggregate of their own: the attention weights of a position's places (in place
      -- order) and the matrix of their values ([Tk, HS]), then y[i] = Σ_p att[p] · v[p][i], by the
      -- kernel's arithmetic.
      -- Inputs: att (t, h, place, v float8[HS], att).
      -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, NH, HS] (rows t, h, i, y)
      SELECT heads.t, heads.h, i,
             (SELECT sum(cube_distance(chunk.w, '(0)'::cube) ^ 2 + cube_distance(chunk.v, '(0)'::cube) ^ 2 - cube_distance(chunk.w, chunk.v) ^ 2) / 2
                 FROM generate_series(1, cardinality(heads.att), 100) AS s
                 CROSS JOIN LATERAL (
                   SELECT cube(heads.att[s : s + 99]) AS w, cube(heads.v[s : s + 99][i : i]) AS v
                 ) AS chunk) AS y
      FROM (
        SELECT att.t, att.h, array_agg(att.att ORDER BY att.place) AS att, array_agg(att.v ORDER BY att.place) AS v
        FROM att
        GROUP BY att.t, att.h
      ) AS heads
      CROSS JOIN generate_series(1, 64) AS i
    ) AS head_values
    GROUP BY t
  ),
  attproj AS MATERIALIZED (       -- [T, C] -> [T, C]: c_proj
    WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
      SELECT array_agg(ROW(input.t, 0, (SELECT array_agg(chunk.c ORDER BY s) || cube(sum(cube_distance(chunk.c, '(0)'::cube) ^ 2))
          FROM generate_series(1, cardinality(input.x), 100) AS s
          CROSS JOIN LATERAL (SELECT cube(input.x[s : s + 99]) AS c) AS chunk))::position_activation ORDER BY input.t) AS x
      FROM atty AS input
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM c_proj_b
      WHERE block = 0
    )
    SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
    FROM (
      SELECT position.t, w.col,
             (cube_ll_coord(position.x[4], 1) + w.norm
               - (cube_distance(position.x[1], w.values[1]) ^ 2
                 + cube_distance(position.x[2], w.values[2]) ^ 2
                 + cube_distance(position.x[3], w.values[3]) ^ 2)) / 2
             + (SELECT b FROM bias)[w.col + 1] AS y
      FROM c_proj_w AS w
      -- Each stored row against every position. The CASE makes the positions depend on the row, so
      -- the planner reads each stored row once, instead of copying the rows aside to read them again
      -- for each position.
      CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
      WHERE w.block = 0
      OFFSET 0  -- a subquery of its own: the dot products are computed where the rows are read (in the
                -- workers), not after the sort by position, which would carry every stored row along
    ) AS product
    GROUP BY product.t
  ),
  residual2 AS MATERIALIZED (     -- [T, C] + [T, C] -> [T, C]
    -- residual: the residual connection, x + f(x) position by position (residual2 adds attn's
    -- output to the block's input).
    -- Inputs: the rows (t, x float8[C]) of the residual stream x and of f(x), two CTEs before.
    -- [T, C] + [T, C] -> [T, C]
    SELECT residual.t, (SELECT array_agg(e.a + e.b) FROM unnest(residual.x, attproj.x) AS e(a, b)) AS x
    FROM residual
    JOIN attproj USING (t)
  ),
  ln2 AS MATERIALIZED (           -- [T, C] -> [T, C]: ln_2
    SELECT input.t,
           (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
            FROM unnest(input.x, (SELECT values FROM ln_2_g WHERE block = 0), (SELECT values FROM ln_2_b WHERE block = 0)) AS e(x, g, b)) AS x
    FROM residual2 AS input
    CROSS JOIN LATERAL (SELECT avg(x) AS mean, var_pop(x) AS variance FROM unnest(input.x) AS x) AS stats
  ),
  fch AS MATERIALIZED (           -- [T, C] -> [T, 4*C]: mlp c_fc
    WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
      SELECT array_agg(ROW(input.t, 0, (SELECT array_agg(chunk.c ORDER BY s) || cube(sum(cube_distance(chunk.c, '(0)'::cube) ^ 2))
          FROM generate_series(1, cardinality(input.x), 100) AS s
          CROSS JOIN LATERAL (SELECT cube(input.x[s : s + 99]) AS c) AS chunk))::position_activation ORDER BY input.t) AS x
      FROM ln2 AS input
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM mlp_c_fc_b
      WHERE block = 0
    )
    SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
    FROM (
      SELECT position.t, w.col,
             (cube_ll_coord(position.x[4], 1) + w.norm
               - (cube_distance(position.x[1], w.values[1]) ^ 2
                 + cube_distance(position.x[2], w.values[2]) ^ 2
                 + cube_distance(position.x[3], w.values[3]) ^ 2)) / 2
             + (SELECT b FROM bias)[w.col + 1] AS y
      FROM mlp_c_fc_w AS w
      -- Each stored row against every position. The CASE makes the positions depend on the row, so
      -- the planner reads each stored row once, instead of copying the rows aside to read them again
      -- for each position.
      CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
      WHERE w.block = 0
      OFFSET 0  -- a subquery of its own: the dot products are computed where the rows are read (in the
                -- workers), not after the sort by position, which would carry every stored row along
    ) AS product
    GROUP BY product.t
  ),
  fch_gelu AS MATERIALIZED (      -- [T, 4*C] -> [T, 4*C]: gelu
    -- gelu (stage mlp): GPT-2's gelu, the tanh approximation, 0.5·v·(1 + tanh(√(2/π)·(v + 0.044715·v³))),
    -- with v + 0.044715·v³ written v·(1 + 0.044715·v²): the cube of a tiny v would underflow, which
    -- PostgreSQL reports as an error.
    -- Inputs: fch (t, x float8[4*C]).
    -- [T, 4*C] -> [T, 4*C]
    SELECT fch.t, (SELECT array_agg(0.5 * v * (1 + tanh(sqrt(2 / pi()) * v * (1 + 0.044715 * v * v)))) FROM unnest(fch.x) AS v) AS x
    FROM fch
  ),
  fcproj AS MATERIALIZED (        -- [T, 4*C] -> [T, C]: mlp c_proj
    -- linear_parts: x @ w + b for every position, as linear.sql, for stored rows too long to fit in
    -- a page: each row is stored in parts of equal size (w.part), and its dot product with the
    -- position's activation is the sum of its parts' dot products (in part order: the same sum
    -- whichever process computed each part), each computed by the model's kernel against the same
    -- part of the activation.
    -- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part, values) and
    -- b (block, values) of the layer; the block.
    -- [T, n_in] -> [T, n_out]
    WITH activation AS MATERIALIZED (  -- each part of every position's activation in the kernel's type, converted once
      SELECT array_agg(ROW(input.t, part, (SELECT array_agg(chunk.c ORDER BY s) || cube(sum(cube_distance(chunk.c, '(0)'::cube) ^ 2))
          FROM generate_series(1, cardinality((input.x[part * 512 + 1 : (part + 1) * 512])), 100) AS s
          CROSS JOIN LATERAL (SELECT cube((input.x[part * 512 + 1 : (part + 1) * 512])[s : s + 99]) AS c) AS chunk))::position_activation ORDER BY input.t, part) AS x
      FROM fch_gelu AS input
      CROSS JOIN generate_series(0, 2 - 1) AS part
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM mlp_c_proj_b
      WHERE block = 0
    )
    SELECT summed.t, array_agg(summed.y + (SELECT b FROM bias)[summed.col + 1] ORDER BY summed.col) AS x
    FROM (
      SELECT product.t, product.col, sum(product.y ORDER BY product.part) AS y
      FROM (
        SELECT position.t, w.col, w.part,
               (cube_ll_coord(position.x[7], 1) + w.norm
                 - (cube_distance(position.x[1], w.values[1]) ^ 2
                   + cube_distance(position.x[2], w.values[2]) ^ 2
                   + cube_distance(position.x[3], w.values[3]) ^ 2
                   + cube_distance(position.x[4], w.values[4]) ^ 2
                   + cube_distance(position.x[5], w.values[5]) ^ 2
                   + cube_distance(position.x[6], w.values[6]) ^ 2)) / 2 AS y
        FROM mlp_c_proj_w AS w
        -- each stored part against the same part of every position (the CASE: see linear.sql)
        CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
        WHERE w.block = 0
          AND position.part = w.part
        OFFSET 0  -- the dot products computed where the rows are read: see linear.sql
      ) AS product
      GROUP BY product.t, product.col
    ) AS summed
    GROUP BY summed.t
  ),
  residual3 AS MATERIALIZED (     -- [T, C] + [T, C] -> [T*C]: the block's output
    -- block_output (residual3): the block's output, residual2 + the MLP's output, position by
    -- position, flattened again into the one float8[] that forward.sql carries to the next block.
    -- Inputs: residual2 and fcproj (t, x float8[C]).
    -- [T, C] + [T, C] -> [T*C]
    SELECT array_agg(e.a + e.b) AS x
    FROM (SELECT residual2.x AS a, fcproj.x AS b FROM residual2 JOIN fcproj USING (t) ORDER BY t) AS position
    CROSS JOIN LATERAL unnest(position.a, position.b) AS e(a, b)
  )
  SELECT residual3.x,
         (SELECT array_agg(k)        -- the new positions' keys and values, [T*C] each, for the cache
          FROM (SELECT x FROM qkv ORDER BY t) AS position, unnest(position.x[256 + 1 : 2 * 256]) AS k) AS k,
         (SELECT array_agg(v)
          FROM (SELECT x FROM qkv ORDER BY t) AS position, unnest(position.x[2 * 256 + 1 : 3 * 256]) AS v) AS v
  FROM residual3
),
block_1 AS MATERIALIZED (       -- [T*C] -> [T*C]: block 1
  WITH
  residual AS MATERIALIZED (      -- [T*C] -> [T, C]: the block's input, one row per position
    SELECT t, input.x[t * 256 + 1 : (t + 1) * 256] AS x
    FROM (SELECT (SELECT x FROM block_0) AS x) AS input
    CROSS JOIN generate_series(0, cardinality(input.x) / 256 - 1) AS t
  ),
  ln1 AS MATERIALIZED (           -- [T, C] -> [T, C]: ln_1
    SELECT input.t,
           (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
            FROM unnest(input.x, (SELECT values FROM ln_1_g WHERE block = 1), (SELECT values FROM ln_1_b WHERE block = 1)) AS e(x, g, b)) AS x
    FROM residual AS input
    CROSS JOIN LATERAL (SELECT avg(x) AS mean, var_pop(x) AS variance FROM unnest(input.x) AS x) AS stats
  ),
  qkv AS MATERIALIZED (           -- [T, C] -> [T, 3*C]: c_attn, q, k and v side by side
    WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
      SELECT array_agg(ROW(input.t, 0, (SELECT array_agg(chunk.c ORDER BY s) || cube(sum(cube_distance(chunk.c, '(0)'::cube) ^ 2))
          FROM generate_series(1, cardinality(input.x), 100) AS s
          CROSS JOIN LATERAL (SELECT cube(input.x[s : s + 99]) AS c) AS chunk))::position_activation ORDER BY input.t) AS x
      FROM ln1 AS input
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM c_attn_b
      WHERE block = 1
    )
    SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
    FROM (
      SELECT position.t, w.col,
             (cube_ll_coord(position.x[4], 1) + w.norm
               - (cube_distance(position.x[1], w.values[1]) ^ 2
                 + cube_distance(position.x[2], w.values[2]) ^ 2
                 + cube_distance(position.x[3], w.values[3]) ^ 2)) / 2
             + (SELECT b FROM bias)[w.col + 1] AS y
      FROM c_attn_w AS w
      -- Each stored row against every position. The CASE makes the positions depend on the row, so
      -- the planner reads each stored row once, instead of copying the rows aside to read them again
      -- for each position.
      CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
      WHERE w.block = 1
      OFFSET 0  -- a subquery of its own: the dot products are computed where the rows are read (in the
                -- workers), not after the sort by position, which would carry every stored row along
    ) AS product
    GROUP BY product.t
  ),
  q AS MATERIALIZED (             -- [T, 3*C] -> [T, NH, HS]: each head's query, converted once
    SELECT qkv.t, fed.s, fed.place, head.h, cube(qkv.x[head.h * 64 + 1 : (head.h + 1) * 64]) AS q
    FROM qkv
    JOIN fed USING (t)
    CROSS JOIN generate_series(0, 4 - 1) AS head(h)
  ),
  kv AS MATERIALIZED (            -- [Tk, NH, 2*HS]: each head's key and value of every place attended to
    SELECT fed.s, fed.place, head.h,
           cube(qkv.x[256 + head.h * 64 + 1 : 256 + (head.h + 1) * 64]) AS k,
           qkv.x[2 * 256 + head.h * 64 + 1 : 2 * 256 + (head.h + 1) * 64] AS v
    FROM qkv
    JOIN fed USING (t)
    CROSS JOIN generate_series(0, 4 - 1) AS head(h)
  ),
  preatt AS MATERIALIZED (        -- [T, NH, <=Tk]: q·k / sqrt(HS) for the places each query sees
    SELECT q.t, q.h, kv.place, kv.v, (cube_distance(kv.k, '(0)'::cube) ^ 2 + cube_distance(q.q, '(0)'::cube) ^ 2 - cube_distance(kv.k, q.q) ^ 2) / 2 / sqrt(64) AS preatt
    FROM q
    JOIN kv ON kv.s = q.s AND kv.h = q.h AND kv.place <= q.place
  ),
  att AS MATERIALIZED (           -- [T, NH, <=Tk]: softmax over each query's places
    SELECT t, h, place, v, e / sum(e) OVER query_row AS att
    FROM (
      SELECT t, h, place, v, CASE WHEN z > -300 THEN exp(z) ELSE 0 END AS e
      FROM (SELECT t, h, place, v, preatt - max(preatt) OVER (PARTITION BY t, h) AS z FROM preatt) AS shifted
    ) AS exps
    WINDOW query_row AS (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
  ),
  atty AS MATERIALIZED (          -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]: heads side by side
    SELECT t, array_agg(y ORDER BY h, i) AS x
    FROM (
      SELECT heads.t, heads.h, i,
             (SELECT sum(cube_distance(chunk.w, '(0)'::cube) ^ 2 + cube_distance(chunk.v, '(0)'::cube) ^ 2 - cube_distance(chunk.w, chunk.v) ^ 2) / 2
                 FROM generate_series(1, cardinality(heads.att), 100) AS s
                 CROSS JOIN LATERAL (
                   SELECT cube(heads.att[s : s + 99]) AS w, cube(heads.v[s : s + 99][i : i]) AS v
                 ) AS chunk) AS y
      FROM (
        SELECT att.t, att.h, array_agg(att.att ORDER BY att.place) AS att, array_agg(att.v ORDER BY att.place) AS v
        FROM att
        GROUP BY att.t, att.h
      ) AS heads
      CROSS JOIN generate_series(1, 64) AS i
    ) AS head_values
    GROUP BY t
  ),
  attproj AS MATERIALIZED (       -- [T, C] -> [T, C]: c_proj
    WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
      SELECT array_agg(ROW(input.t, 0, (SELECT array_agg(chunk.c ORDER BY s) || cube(sum(cube_distance(chunk.c, '(0)'::cube) ^ 2))
          FROM generate_series(1, cardinality(input.x), 100) AS s
          CROSS JOIN LATERAL (SELECT cube(input.x[s : s + 99]) AS c) AS chunk))::position_activation ORDER BY input.t) AS x
      FROM atty AS input
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM c_proj_b
      WHERE block = 1
    )
    SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
    FROM (
      SELECT position.t, w.col,
             (cube_ll_coord(position.x[4], 1) + w.norm
               - (cube_distance(position.x[1], w.values[1]) ^ 2
                 + cube_distance(position.x[2], w.values[2]) ^ 2
                 + cube_distance(position.x[3], w.values[3]) ^ 2)) / 2
             + (SELECT b FROM bias)[w.col + 1] AS y
      FROM c_proj_w AS w
      -- Each stored row against every position. The CASE makes the positions depend on the row, so
      -- the planner reads each stored row once, instead of copying the rows aside to read them again
      -- for each position.
      CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
      WHERE w.block = 1
      OFFSET 0  -- a subquery of its own: the dot products are computed where the rows are read (in the
                -- workers), not after the sort by position, which would carry every stored row along
    ) AS product
    GROUP BY product.t
  ),
  residual2 AS MATERIALIZED (     -- [T, C] + [T, C] -> [T, C]
    SELECT residual.t, (SELECT array_agg(e.a + e.b) FROM unnest(residual.x, attproj.x) AS e(a, b)) AS x
    FROM residual
    JOIN attproj USING (t)
  ),
  ln2 AS MATERIALIZED (           -- [T, C] -> [T, C]: ln_2
    SELECT input.t,
           (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
            FROM unnest(input.x, (SELECT values FROM ln_2_g WHERE block = 1), (SELECT values FROM ln_2_b WHERE block = 1)) AS e(x, g, b)) AS x
    FROM residual2 AS input
    CROSS JOIN LATERAL (SELECT avg(x) AS mean, var_pop(x) AS variance FROM unnest(input.x) AS x) AS stats
  ),
  fch AS MATERIALIZED (           -- [T, C] -> [T, 4*C]: mlp c_fc
    WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
      SELECT array_agg(ROW(input.t, 0, (SELECT array_agg(chunk.c ORDER BY s) || cube(sum(cube_distance(chunk.c, '(0)'::cube) ^ 2))
          FROM generate_series(1, cardinality(input.x), 100) AS s
          CROSS JOIN LATERAL (SELECT cube(input.x[s : s + 99]) AS c) AS chunk))::position_activation ORDER BY input.t) AS x
      FROM ln2 AS input
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM mlp_c_fc_b
      WHERE block = 1
    )
    SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
    FROM (
      SELECT position.t, w.col,
             (cube_ll_coord(position.x[4], 1) + w.norm
               - (cube_distance(position.x[1], w.values[1]) ^ 2
                 + cube_distance(position.x[2], w.values[2]) ^ 2
                 + cube_distance(position.x[3], w.values[3]) ^ 2)) / 2
             + (SELECT b FROM bias)[w.col + 1] AS y
      FROM mlp_c_fc_w AS w
      -- Each stored row against every position. The CASE makes the positions depend on the row, so
      -- the planner reads each stored row once, instead of copying the rows aside to read them again
      -- for each position.
      CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
      WHERE w.block = 1
      OFFSET 0  -- a subquery of its own: the dot products are computed where the rows are read (in the
                -- workers), not after the sort by position, which would carry every stored row along
    ) AS product
    GROUP BY product.t
  ),
  fch_gelu AS MATERIALIZED (      -- [T, 4*C] -> [T, 4*C]: gelu
    SELECT fch.t, (SELECT array_agg(0.5 * v * (1 + tanh(sqrt(2 / pi()) * v * (1 + 0.044715 * v * v)))) FROM unnest(fch.x) AS v) AS x
    FROM fch
  ),
  fcproj AS MATERIALIZED (        -- [T, 4*C] -> [T, C]: mlp c_proj
    WITH activation AS MATERIALIZED (  -- each part of every position's activation in the kernel's type, converted once
      SELECT array_agg(ROW(input.t, part, (SELECT array_agg(chunk.c ORDER BY s) || cube(sum(cube_distance(chunk.c, '(0)'::cube) ^ 2))
          FROM generate_series(1, cardinality((input.x[part * 512 + 1 : (part + 1) * 512])), 100) AS s
          CROSS JOIN LATERAL (SELECT cube((input.x[part * 512 + 1 : (part + 1) * 512])[s : s + 99]) AS c) AS chunk))::position_activation ORDER BY input.t, part) AS x
      FROM fch_gelu AS input
      CROSS JOIN generate_series(0, 2 - 1) AS part
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM mlp_c_proj_b
      WHERE block = 1
    )
    SELECT summed.t, array_agg(summed.y + (SELECT b FROM bias)[summed.col + 1] ORDER BY summed.col) AS x
    FROM (
      SELECT product.t, product.col, sum(product.y ORDER BY product.part) AS y
      FROM (
        SELECT position.t, w.col, w.part,
               (cube_ll_coord(position.x[7], 1) + w.norm
                 - (cube_distance(position.x[1], w.values[1]) ^ 2
                   + cube_distance(position.x[2], w.values[2]) ^ 2
                   + cube_distance(position.x[3], w.values[3]) ^ 2
                   + cube_distance(position.x[4], w.values[4]) ^ 2
                   + cube_distance(position.x[5], w.values[5]) ^ 2
                   + cube_distance(position.x[6], w.values[6]) ^ 2)) / 2 AS y
        FROM mlp_c_proj_w AS w
        -- each stored part against the same part of every position (the CASE: see linear.sql)
        CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
        WHERE w.block = 1
          AND position.part = w.part
        OFFSET 0  -- the dot products computed where the rows are read: see linear.sql
      ) AS product
      GROUP BY product.t, product.col
    ) AS summed
    GROUP BY summed.t
  ),
  residual3 AS MATERIALIZED (     -- [T, C] + [T, C] -> [T*C]: the block's output
    SELECT array_agg(e.a + e.b) AS x
    FROM (SELECT residual2.x AS a, fcproj.x AS b FROM residual2 JOIN fcproj USING (t) ORDER BY t) AS position
    CROSS JOIN LATERAL unnest(position.a, position.b) AS e(a, b)
  )
  SELECT residual3.x,
         (SELECT array_agg(k)        -- the new positions' keys and values, [T*C] each, for the cache
          FROM (SELECT x FROM qkv ORDER BY t) AS position, unnest(position.x[256 + 1 : 2 * 256]) AS k) AS k,
         (SELECT array_agg(v)
          FROM (SELECT x FROM qkv ORDER BY t) AS position, unnest(position.x[2 * 256 + 1 : 3 * 256]) AS v) AS v
  FROM residual3
),
block_2 AS MATERIALIZED (       -- [T*C] -> [T*C]: block 2
  WITH
  residual AS MATERIALIZED (      -- [T*C] -> [T, C]: the block's input, one row per position
    SELECT t, input.x[t * 256 + 1 : (t + 1) * 256] AS x
    FROM (SELECT (SELECT x FROM block_1) AS x) AS input
    CROSS JOIN generate_series(0, cardinality(input.x) / 256 - 1) AS t
  ),
  ln1 AS MATERIALIZED (           -- [T, C] -> [T, C]: ln_1
    SELECT input.t,
           (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
            FROM unnest(input.x, (SELECT values FROM ln_1_g WHERE block = 2), (SELECT values FROM ln_1_b WHERE block = 2)) AS e(x, g, b)) AS x
    FROM residual AS input
    CROSS JOIN LATERAL (SELECT avg(x) AS mean, var_pop(x) AS variance FROM unnest(input.x) AS x) AS stats
  ),
  qkv AS MATERIALIZED (           -- [T, C] -> [T, 3*C]: c_attn, q, k and v side by side
    WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
      SELECT array_agg(ROW(input.t, 0, (SELECT array_agg(chunk.c ORDER BY s) || cube(sum(cube_distance(chunk.c, '(0)'::cube) ^ 2))
          FROM generate_series(1, cardinality(input.x), 100) AS s
          CROSS JOIN LATERAL (SELECT cube(input.x[s : s + 99]) AS c) AS chunk))::position_activation ORDER BY input.t) AS x
      FROM ln1 AS input
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM c_attn_b
      WHERE block = 2
    )
    SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
    FROM (
      SELECT position.t, w.col,
             (cube_ll_coord(position.x[4], 1) + w.norm
               - (cube_distance(position.x[1], w.values[1]) ^ 2
                 + cube_distance(position.x[2], w.values[2]) ^ 2
                 + cube_distance(position.x[3], w.values[3]) ^ 2)) / 2
             + (SELECT b FROM bias)[w.col + 1] AS y
      FROM c_attn_w AS w
      -- Each stored row against every position. The CASE makes the positions depend on the row, so
      -- the planner reads each stored row once, instead of copying the rows aside to read them again
      -- for each position.
      CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
      WHERE w.block = 2
      OFFSET 0  -- a subquery of its own: the dot products are computed where the rows are read (in the
                -- workers), not after the sort by position, which would carry every stored row along
    ) AS product
    GROUP BY product.t
  ),
  q AS MATERIALIZED (             -- [T, 3*C] -> [T, NH, HS]: each head's query, converted once
    SELECT qkv.t, fed.s, fed.place, head.h, cube(qkv.x[head.h * 64 + 1 : (head.h + 1) * 64]) AS q
    FROM qkv
    JOIN fed USING (t)
    CROSS JOIN generate_series(0, 4 - 1) AS head(h)
  ),
  kv AS MATERIALIZED (            -- [Tk, NH, 2*HS]: each head's key and value of every place attended to
    SELECT fed.s, fed.place, head.h,
           cube(qkv.x[256 + head.h * 64 + 1 : 256 + (head.h + 1) * 64]) AS k,
           qkv.x[2 * 256 + head.h * 64 + 1 : 2 * 256 + (head.h + 1) * 64] AS v
    FROM qkv
    JOIN fed USING (t)
    CROSS JOIN generate_series(0, 4 - 1) AS head(h)
  ),
  preatt AS MATERIALIZED (        -- [T, NH, <=Tk]: q·k / sqrt(HS) for the places each query sees
    SELECT q.t, q.h, kv.place, kv.v, (cube_distance(kv.k, '(0)'::cube) ^ 2 + cube_distance(q.q, '(0)'::cube) ^ 2 - cube_distance(kv.k, q.q) ^ 2) / 2 / sqrt(64) AS preatt
    FROM q
    JOIN kv ON kv.s = q.s AND kv.h = q.h AND kv.place <= q.place
  ),
  att AS MATERIALIZED (           -- [T, NH, <=Tk]: softmax over each query's places
    SELECT t, h, place, v, e / sum(e) OVER query_row AS att
    FROM (
      SELECT t, h, place, v, CASE WHEN z > -300 THEN exp(z) ELSE 0 END AS e
      FROM (SELECT t, h, place, v, preatt - max(preatt) OVER (PARTITION BY t, h) AS z FROM preatt) AS shifted
    ) AS exps
    WINDOW query_row AS (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
  ),
  atty AS MATERIALIZED (          -- [T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]: heads side by side
    SELECT t, array_agg(y ORDER BY h, i) AS x
    FROM (
      SELECT heads.t, heads.h, i,
             (SELECT sum(cube_distance(chunk.w, '(0)'::cube) ^ 2 + cube_distance(chunk.v, '(0)'::cube) ^ 2 - cube_distance(chunk.w, chunk.v) ^ 2) / 2
                 FROM generate_series(1, cardinality(heads.att), 100) AS s
                 CROSS JOIN LATERAL (
                   SELECT cube(heads.att[s : s + 99]) AS w, cube(heads.v[s : s + 99][i : i]) AS v
                 ) AS chunk) AS y
      FROM (
        SELECT att.t, att.h, array_agg(att.att ORDER BY att.place) AS att, array_agg(att.v ORDER BY att.place) AS v
        FROM att
        GROUP BY att.t, att.h
      ) AS heads
      CROSS JOIN generate_series(1, 64) AS i
    ) AS head_values
    GROUP BY t
  ),
  attproj AS MATERIALIZED (       -- [T, C] -> [T, C]: c_proj
    WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
      SELECT array_agg(ROW(input.t, 0, (SELECT array_agg(chunk.c ORDER BY s) || cube(sum(cube_distance(chunk.c, '(0)'::cube) ^ 2))
          FROM generate_series(1, cardinality(input.x), 100) AS s
          CROSS JOIN LATERAL (SELECT cube(input.x[s : s + 99]) AS c) AS chunk))::position_activation ORDER BY input.t) AS x
      FROM atty AS input
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM c_proj_b
      WHERE block = 2
    )
    SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
    FROM (
      SELECT position.t, w.col,
             (cube_ll_coord(position.x[4], 1) + w.norm
               - (cube_distance(position.x[1], w.values[1]) ^ 2
                 + cube_distance(position.x[2], w.values[2]) ^ 2
                 + cube_distance(position.x[3], w.values[3]) ^ 2)) / 2
             + (SELECT b FROM bias)[w.col + 1] AS y
      FROM c_proj_w AS w
      -- Each stored row against every position. The CASE makes the positions depend on the row, so
      -- the planner reads each stored row once, instead of copying the rows aside to read them again
      -- for each position.
      CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
      WHERE w.block = 2
      OFFSET 0  -- a subquery of its own: the dot products are computed where the rows are read (in the
                -- workers), not after the sort by position, which would carry every stored row along
    ) AS product
    GROUP BY product.t
  ),
  residual2 AS MATERIALIZED (     -- [T, C] + [T, C] -> [T, C]
    SELECT residual.t, (SELECT array_agg(e.a + e.b) FROM unnest(residual.x, attproj.x) AS e(a, b)) AS x
    FROM residual
    JOIN attproj USING (t)
  ),
  ln2 AS MATERIALIZED (           -- [T, C] -> [T, C]: ln_2
    SELECT input.t,
           (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
            FROM unnest(input.x, (SELECT values FROM ln_2_g WHERE block = 2), (SELECT values FROM ln_2_b WHERE block = 2)) AS e(x, g, b)) AS x
    FROM residual2 AS input
    CROSS JOIN LATERAL (SELECT avg(x) AS mean, var_pop(x) AS variance FROM unnest(input.x) AS x) AS stats
  ),
  fch AS MATERIALIZED (           -- [T, C] -> [T, 4*C]: mlp c_fc
    WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
      SELECT array_agg(ROW(input.t, 0, (SELECT array_agg(chunk.c ORDER BY s) || cube(sum(cube_distance(chunk.c, '(0)'::cube) ^ 2))
          FROM generate_series(1, cardinality(input.x), 100) AS s
          CROSS JOIN LATERAL (SELECT cube(input.x[s : s + 99]) AS c) AS chunk))::position_activation ORDER BY input.t) AS x
      FROM ln2 AS input
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM mlp_c_fc_b
      WHERE block = 2
    )
    SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
    FROM (
      SELECT position.t, w.col,
             (cube_ll_coord(position.x[4], 1) + w.norm
               - (cube_distance(position.x[1], w.values[1]) ^ 2
                 + cube_distance(position.x[2], w.values[2]) ^ 2
                 + cube_distance(position.x[3], w.values[3]) ^ 2)) / 2
             + (SELECT b FROM bias)[w.col + 1] AS y
      FROM mlp_c_fc_w AS w
      -- Each stored row against every position. The CASE makes the positions depend on the row, so
      -- the planner reads each stored row once, instead of copying the rows aside to read them again
      -- for each position.
      CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
      WHERE w.block = 2
      OFFSET 0  -- a subquery of its own: the dot products are computed where the rows are read (in the
                -- workers), not after the sort by position, which would carry every stored row along
    ) AS product
    GROUP BY product.t
  ),
  fch_gelu AS MATERIALIZED (      -- [T, 4*C] -> [T, 4*C]: gelu
    SELECT fch.t, (SELECT array_agg(0.5 * v * (1 + tanh(sqrt(2 / pi()) * v * (1 + 0.044715 * v * v)))) FROM unnest(fch.x) AS v) AS x
    FROM fch
  ),
  fcproj AS MATERIALIZED (        -- [T, 4*C] -> [T, C]: mlp c_proj
    WITH activation AS MATERIALIZED (  -- each part of every position's activation in the kernel's type, converted once
      SELECT array_agg(ROW(input.t, part, (SELECT array_agg(chunk.c ORDER BY s) || cube(sum(cube_distance(chunk.c, '(0)'::cube) ^ 2))
          FROM generate_series(1, cardinality((input.x[part * 512 + 1 : (part + 1) * 512])), 100) AS s
          CROSS JOIN LATERAL (SELECT cube((input.x[part * 512 + 1 : (part + 1) * 512])[s : s + 99]) AS c) AS chunk))::position_activation ORDER BY input.t, part) AS x
      FROM fch_gelu AS input
      CROSS JOIN generate_series(0, 2 - 1) AS part
    ),
    bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
      SELECT values::float8[] AS b
      FROM mlp_c_proj_b
      WHERE block = 2
    )
    SELECT summed.t, array_agg(summed.y + (SELECT b FROM bias)[summed.col + 1] ORDER BY summed.col) AS x
    FROM (
      SELECT product.t, product.col, sum(product.y ORDER BY product.part) AS y
      FROM (
        SELECT position.t, w.col, w.part,
               (cube_ll_coord(position.x[7], 1) + w.norm
                 - (cube_distance(position.x[1], w.values[1]) ^ 2
                   + cube_distance(position.x[2], w.values[2]) ^ 2
                   + cube_distance(position.x[3], w.values[3]) ^ 2
                   + cube_distance(position.x[4], w.values[4]) ^ 2
                   + cube_distance(position.x[5], w.values[5]) ^ 2
                   + cube_distance(position.x[6], w.values[6]) ^ 2)) / 2 AS y
        FROM mlp_c_proj_w AS w
        -- each stored part against the same part of every position (the CASE: see linear.sql)
        CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
        WHERE w.block = 2
          AND position.part = w.part
        OFFSET 0  -- the dot products computed where the rows are read: see linear.sql
      ) AS product
      GROUP BY product.t, product.col
    ) AS summed
    GROUP BY summed.t
  ),
  residual3 AS MATERIALIZED (     -- [T, C] + [T, C] -> [T*C]: the block's output
    SELECT array_agg(e.a + e.b) AS x
    FROM (SELECT residual2.x AS a, fcproj.x AS b FROM residual2 JOIN fcproj USING (t) ORDER BY t) AS position
    CROSS JOIN LATERAL unnest(position.a, position.b) AS e(a, b)
  )
  SELECT residual3.x,
         (SELECT array_agg(k)        -- the new positions' keys and values, [T*C] each, for the cache
          FROM (SELECT x FROM qkv ORDER BY t) AS position, unnest(position.x[256 + 1 : 2 * 256]) AS k) AS k,
         (SELECT array_agg(v)
          FROM (SELECT x FROM qkv ORDER BY t) AS position, unnest(position.x[2 * 256 + 1 : 3 * 256]) AS v) AS v
  FROM residual3
),
final AS MATERIALIZED (         -- [T*C] -> [T, C]
  -- final: the last block's output, one row per position: every position, or only the last of
  -- each sequence, whose logits choose its next token.
  -- Inputs: the last block's output (float8[T*C]); fed (t, s); which positions are kept.
  -- [T*C] -> [T', C]
  SELECT fed.t, last.x[fed.t * 256 + 1 : (fed.t + 1) * 256] AS x
  FROM (SELECT (SELECT x FROM block_2) AS x) AS last
  CROSS JOIN fed
  WHERE true
),
lnf AS MATERIALIZED (           -- [T', C] -> [T', C]: ln_f
  SELECT input.t,
         (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
          FROM unnest(input.x, (SELECT values FROM ln_f_g), (SELECT values FROM ln_f_b)) AS e(x, g, b)) AS x
  FROM final AS input
  CROSS JOIN LATERAL (SELECT avg(x) AS mean, var_pop(x) AS variance FROM unnest(input.x) AS x) AS stats
)
SELECT t, x
FROM lnf
ORDER BY t
