-- next: the article's llm() function: the top candidates for the token after the given ones,
-- with their raw logits and their probabilities at the given temperature (at temperature 0
-- the greedy choice has probability 1 and every other token 0), ranked by logit, ties to the
-- lower id: a bounded sort of `top` rows, each probability exp(z - z_max) / total (probs.sql).
-- [T] -> [top]
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
  JOIN (SELECT * FROM wte WHERE wte.token = ANY (ARRAY(SELECT token FROM fed)) AND wte.part = 0) AS wte ON wte.token = fed.token
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
      SELECT t, input.x[t * 8 + 1 : (t + 1) * 8] AS x
      FROM (SELECT forward.x AS x) AS input
      CROSS JOIN generate_series(0, cardinality(input.x) / 8 - 1) AS t
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
      -- linear_sharded: x @ w + b for every position, on a sharded model (load --shards): w is a
      -- partitioned table whose partitions are postgres_fdw foreign tables, each a contiguous range of
      -- output columns (w.col) on one shard, a row's parts together. For each position, the subquery
      -- product is what every shard runs on its own rows: the dot products with the position's
      -- activation, summed per output column (over the row's parts, in part order), by the kernel's
      -- arithmetic for shards (ShardedRows in src/sql/kernels/kernel.ts). postgres_fdw sends it to the shards
      -- at once (an async append of foreign scans, each with the aggregate in its remote SQL, when
      -- enable_partitionwise_aggregate is on), the activation as a float8[] parameter; only (col, y)
      -- rows come back. The bias is added here. Summing on the shards or here is the planner's choice
      -- by cost: the loader gives it the foreign partitions' row counts (src/load/shard-load.ts), every
      -- output column has an empty row besides its parts (NULL: the sum skips it), and a fetched row
      -- costs what it does (fdw_tuple_cost), so that the shards' sums cost less than their rows;
      -- test/engine/sharded.test.ts checks from the plans that every sum goes to the shards.
      -- Inputs: the rows (t, x float8[n_in]) of the CTE before; w (block, col, part, …) and
      -- b (block, values) of the layer; the block.
      -- [T, n_in] -> [T, n_out]
      WITH activation AS MATERIALIZED (  -- each position's activation, and what the kernel's dot product takes besides it
        SELECT input.t, input.x, NULL::float8[] AS norms
        FROM ln1 AS input
      ),
      bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
        SELECT values::float8[] AS b
        FROM c_attn_b
        WHERE block = forward.block + 1
      )
      SELECT position.t, array_agg(product.y + (SELECT b FROM bias)[product.col + 1] ORDER BY product.col) AS x
      FROM activation AS position
      CROSS JOIN LATERAL (              -- on every shard, for this position: one sum per output column
        SELECT w.col,
               sum((w.values[1] * position.x[1] + w.values[2] * position.x[2] + w.values[3] * position.x[3] + w.values[4] * position.x[4]
                  + w.values[5] * position.x[5] + w.values[6] * position.x[6] + w.values[7] * position.x[7] + w.values[8] * position.x[8]) ORDER BY w.part) AS y
        FROM c_attn_w AS w
        WHERE w.block = forward.block + 1
        GROUP BY w.col
      ) AS product
      GROUP BY position.t
    ),
    q AS MATERIALIZED (             -- [T, 3*C] -> [T, NH, HS]: each head's query, converted once
      -- attn_q (stage attn, 1 of 5): causal self-attention starts by cutting each new position's
      -- query out of qkv, one row per position and head, converted once to the type the kernel's
      -- q·k takes, with the position's sequence and place, which say what it may attend to. (Then
      -- attn_kv, attn_scores, attn_softmax and atty: all heads at once.)
      -- Inputs: qkv (t, x float8[3*C]): q, k and v of the new positions side by side; fed (t, s, place).
      -- [T, 3*C] -> [T, NH, HS]
      SELECT qkv.t, fed.s, fed.place, head.h, qkv.x[head.h * 4 + 1 : (head.h + 1) * 4] AS q
      FROM qkv
      JOIN fed USING (t)
      CROSS JOIN generate_series(0, 2 - 1) AS head(h)
    ),
    kv AS MATERIALIZED (            -- [Tk, NH, 2*HS]: each head's key and value of every place attended to
      -- attn_kv (stage attn, 2 of 5): each head's key and value of every place a new position may
      -- attend to, with its sequence: the places cached by earlier statements of each generation
      -- (kv_read.sql), then the new positions' own, cut out of qkv, in the types the kernel's
      -- arithmetic takes.
      -- Inputs: qkv (t, x float8[3*C]); fed (t, s, place).
      -- [T, 3*C] -> [Tk, NH, 2*HS]
      SELECT fed.s, fed.place, head.h,
             qkv.x[8 + head.h * 4 + 1 : 8 + (head.h + 1) * 4] AS k,
             qkv.x[2 * 8 + head.h * 4 + 1 : 2 * 8 + (head.h + 1) * 4] AS v
      FROM qkv
      JOIN fed USING (t)
      CROSS JOIN generate_series(0, 2 - 1) AS head(h)
    ),
    preatt AS MATERIALIZED (        -- [T, NH, <=Tk]: q·k / sqrt(HS) for the places each query sees
      -- attn_scores (stage attn, 3 of 5): preatt = q·k / sqrt(HS), each new position's query against
      -- the key of every place of its own sequence up to and including its own (the causal mask:
      -- place <= the query's), computed by the kernel's q·k. Each score carries its place's value
      -- along, so att @ v reads them in place order without a join.
      -- Inputs: q (t, s, place, h, q) and kv (s, place, h, k, v).
      -- [T, NH, HS] x [Tk, NH, HS] -> [T, NH, <=Tk]
      SELECT q.t, q.h, kv.place, kv.v, (SELECT sum(x * y) FROM (SELECT unnest(kv.k) AS x, unnest(q.q) AS y) AS pair) / sqrt(4) AS preatt
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
               (SELECT array_agg((SELECT sum(x * y) FROM (SELECT unnest(heads.att) AS x, unnest(heads.v[:][i:i]) AS y) AS pair)) FROM generate_series(1, 4) AS i) AS y
        FROM (
          SELECT att.t, att.h, array_agg(att.att ORDER BY att.place) AS att, array_agg(att.v ORDER BY att.place) AS v
          FROM att
          GROUP BY att.t, att.h
        ) AS heads
      ) AS head_values
      GROUP BY t
    ),
    attproj AS MATERIALIZED (       -- [T, C] -> [T, C]: c_proj
      WITH activation AS MATERIALIZED (  -- each position's activation, and what the kernel's dot product takes besides it
        SELECT input.t, input.x, NULL::float8[] AS norms
        FROM atty AS input
      ),
      bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
        SELECT values::float8[] AS b
        FROM c_proj_b
        WHERE block = forward.block + 1
      )
      SELECT position.t, array_agg(product.y + (SELECT b FROM bias)[product.col + 1] ORDER BY product.col) AS x
      FROM activation AS position
      CROSS JOIN LATERAL (              -- on every shard, for this position: one sum per output column
        SELECT w.col,
               sum((w.values[1] * position.x[1] + w.values[2] * position.x[2] + w.values[3] * position.x[3] + w.values[4] * position.x[4]
                  + w.values[5] * position.x[5] + w.values[6] * position.x[6] + w.values[7] * position.x[7] + w.values[8] * position.x[8]) ORDER BY w.part) AS y
        FROM c_proj_w AS w
        WHERE w.block = forward.block + 1
        GROUP BY w.col
      ) AS product
      GROUP BY position.t
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
      WITH activation AS MATERIALIZED (  -- each position's activation, and what the kernel's dot product takes besides it
        SELECT input.t, input.x, NULL::float8[] AS norms
        FROM ln2 AS input
      ),
      bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
        SELECT values::float8[] AS b
        FROM mlp_c_fc_b
        WHERE block = forward.block + 1
      )
      SELECT position.t, array_agg(product.y + (SELECT b FROM bias)[product.col + 1] ORDER BY product.col) AS x
      FROM activation AS position
      CROSS JOIN LATERAL (              -- on every shard, for this position: one sum per output column
        SELECT w.col,
               sum((w.values[1] * position.x[1] + w.values[2] * position.x[2] + w.values[3] * position.x[3] + w.values[4] * position.x[4]
                  + w.values[5] * position.x[5] + w.values[6] * position.x[6] + w.values[7] * position.x[7] + w.values[8] * position.x[8]) ORDER BY w.part) AS y
        FROM mlp_c_fc_w AS w
        WHERE w.block = forward.block + 1
        GROUP BY w.col
      ) AS product
      GROUP BY position.t
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
      WITH activation AS MATERIALIZED (  -- each position's activation, and what the kernel's dot product takes besides it
        SELECT input.t, input.x, NULL::float8[] AS norms
        FROM fch_gelu AS input
      ),
      bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
        SELECT values::float8[] AS b
        FROM mlp_c_proj_b
        WHERE block = forward.block + 1
      )
      SELECT position.t, array_agg(product.y + (SELECT b FROM bias)[product.col + 1] ORDER BY product.col) AS x
      FROM activation AS position
      CROSS JOIN LATERAL (              -- on every shard, for this position: one sum per output column
        SELECT w.col,
               sum((w.values[1] * position.x[1] + w.values[2] * position.x[2] + w.values[3] * position.x[3] + w.values[4] * position.x[4]
                  + w.values[5] * position.x[5] + w.values[6] * position.x[6] + w.values[7] * position.x[7] + w.values[8] * position.x[8]
                  + w.values[9] * position.x[9] + w.values[10] * position.x[10] + w.values[11] * position.x[11] + w.values[12] * position.x[12]
                  + w.values[13] * position.x[13] + w.values[14] * position.x[14] + w.values[15] * position.x[15] + w.values[16] * position.x[16]
                  + w.values[17] * position.x[17] + w.values[18] * position.x[18] + w.values[19] * position.x[19] + w.values[20] * position.x[20]
                  + w.values[21] * position.x[21] + w.values[22] * position.x[22] + w.values[23] * position.x[23] + w.values[24] * position.x[24]
                  + w.values[25] * position.x[25] + w.values[26] * position.x[26] + w.values[27] * position.x[27] + w.values[28] * position.x[28]
                  + w.values[29] * position.x[29] + w.values[30] * position.x[30] + w.values[31] * position.x[31] + w.values[32] * position.x[32]) ORDER BY w.part) AS y
        FROM mlp_c_proj_w AS w
        WHERE w.block = forward.block + 1
        GROUP BY w.col
      ) AS product
      GROUP BY position.t
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
            FROM (SELECT unnest(x[8 + 1 : 2 * 8]) AS k FROM qkv ORDER BY t) AS new) AS k,
           (SELECT array_agg(new.v)
            FROM (SELECT unnest(x[2 * 8 + 1 : 3 * 8]) AS v FROM qkv ORDER BY t) AS new) AS v
    FROM residual3
  ) AS transformer_block
  WHERE forward.block + 1 < 3
),
final AS MATERIALIZED (         -- [T*C] -> [S, C]: each sequence's last position
  -- final: the last block's output, one row per position: every position, or only the last of
  -- each sequence, whose logits choose its next token.
  -- Inputs: the last block's output (float8[T*C]); fed (t, s); which positions are kept.
  -- [T*C] -> [T', C]
  SELECT fed.t, last.x[fed.t * 8 + 1 : (fed.t + 1) * 8] AS x
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
logits AS (                     -- [1, C] -> [1, V]
  -- logits_sharded: lnf @ lm_headᵀ on a sharded model (load --shards), as logits.sql computes it:
  -- lm_head (wte when the head is tied) is partitioned by token into ranges on the shards. For
  -- each position, the subquery product is what every shard runs on its own rows: one dot product
  -- per token, by the kernel's arithmetic for shards: the sum of the token's row and of its empty
  -- row, whose NULL the sum skips (see shardedKeyColumns in src/load/weight-tables.ts), the shape
  -- postgres_fdw sends to a shard whole (see linear_sharded.sql); the activation travels as a
  -- float8[] parameter and only (token, logit) rows come back, which become each position's
  -- float8[V] in token order and its largest, as logits.sql gives them.
  -- Inputs: lnf (t, x float8[C]); lm_head.
  -- [T, C] -> [T, V]: (t, logit float8[V], max_logit)
  WITH activation AS MATERIALIZED (  -- each position's activation, and what the kernel's dot product takes besides it
    SELECT lnf.t, lnf.x, NULL::float8[] AS norms
    FROM lnf
  )
  SELECT position.t, array_agg(product.logit ORDER BY product.token) AS logit, max(product.logit) AS max_logit
  FROM activation AS position
  CROSS JOIN LATERAL (              -- on every shard, for this position: one sum per token
    SELECT lm_head.token,
           sum((lm_head.values[1] * position.x[1] + lm_head.values[2] * position.x[2] + lm_head.values[3] * position.x[3] + lm_head.values[4] * position.x[4]
              + lm_head.values[5] * position.x[5] + lm_head.values[6] * position.x[6] + lm_head.values[7] * position.x[7] + lm_head.values[8] * position.x[8]) ORDER BY lm_head.part) AS logit
    FROM lm_head
    GROUP BY lm_head.token
  ) AS product
  GROUP BY position.t
),
choosing AS (                   -- [1]: the temperature of the probabilities
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
  JOIN unnest(ARRAY[$3::float8], ARRAY[0]::int[], ARRAY[1]::float8[], ARRAY[0]::float8[], ARRAY[0]::float8[], ARRAY[0]::float8[], ARRAY[0]::bigint[], ARRAY[0], ARRAY[-1])
         WITH ORDINALITY AS options(temperature, top_k, top_p, min_p, presence_penalty, frequency_penalty, seed, draw, logprobs, n)
    ON options.n = fed.s + 1
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
candidates AS (                 -- [top]: the most probable tokens, by logit
  SELECT (top.i - 1)::int AS token, top.logit, row_number() OVER (ORDER BY top.logit DESC, top.i) AS rank
  FROM (SELECT unnest(logits.logit) AS logit, generate_subscripts(logits.logit, 1) AS i
        FROM logits
        ORDER BY logit DESC, i
        LIMIT $4::int) AS top
)
SELECT candidates.token, vocab.bytes, candidates.logit,
       CASE WHEN choosing.temperature = 0 THEN (candidates.rank = 1)::int  -- greedy
            WHEN candidates.logit / softmax.temperature - softmax.z_max > -700
            THEN exp(candidates.logit / softmax.temperature - softmax.z_max) / softmax.total
            ELSE 0 END::float8 AS probability
FROM candidates
CROSS JOIN choosing
LEFT JOIN softmax USING (t)
LEFT JOIN vocab USING (token)
ORDER BY candidates.logit DESC, candidates.token  -- the order of probability, also among equal ones
