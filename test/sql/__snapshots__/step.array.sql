-- step: the engine's statement for each new token. It runs every block over the new positions
-- and chooses the next token from the logits of the last position; the incremental engine also
-- gets the new positions' keys and values back, which a statement of their own appends to the
-- session's cache (kv_save.sql). Fed the whole prompt it is the prefill; fed one token, a step;
-- without the cache it is the article's full recompute. It writes nothing: PostgreSQL gives a
-- statement that writes no parallel workers.
-- [T] -> [1]: the chosen token and its bytes (and, with the cache, the new keys and values)
WITH RECURSIVE
encoded AS MATERIALIZED (       -- [T] -> [T*C]
  -- embed: each new token's embedding plus its position's embedding, wte[token] + wpe[place].
  -- Inputs: ids, the T token ids fed (int[]); start, the place of the first of them, that is the
  -- number of positions already cached (0 for a full pass); the tables wte and wpe.
  -- [T] -> [T*C]: one float8[] holding the T rows of C values one after another
  SELECT array_agg(e.token_value::float8 + e.place_value ORDER BY input.t, e.i) AS x
  FROM unnest($1::int[]) WITH ORDINALITY AS input(token, t)
  JOIN wte ON wte.token = input.token
  JOIN wpe ON wpe.place = $2::int + input.t - 1
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
              FROM unnest(input.x, (SELECT values FROM ln_1_g WHERE block = forward.block + 1), (SELECT values FROM ln_1_b WHERE block = forward.block + 1)) AS e(x, g, b)) AS x
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
        SELECT array_agg(ROW(input.t, 0, input.x)::position_activation ORDER BY input.t) AS x
        FROM ln1 AS input
      ),
      bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
        SELECT values::float8[] AS b
        FROM c_attn_b
        WHERE block = forward.block + 1
      )
      SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
      FROM (
        SELECT position.t, w.col,
               gpt2sql.dot(w.values, position.x)
               + (SELECT b FROM bias)[w.col + 1] AS y
        FROM c_attn_w AS w
        -- Each stored row against every position. The CASE makes the positions depend on the row, so
        -- the planner reads each stored row once, instead of copying the rows aside to read them again
        -- for each position.
        CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
        WHERE w.block = forward.block + 1
        OFFSET 0  -- a subquery of its own: the dot products are computed where the rows are read (in the
                  -- workers), not after the sort by position, which would carry every stored row along
      ) AS product
      GROUP BY product.t
    ),
    q AS MATERIALIZED (             -- [T, 3*C] -> [T, NH, HS]: each head's query, converted once
      -- attn_q (stage attn, 1 of 5): causal self-attention starts by cutting each new position's
      -- query out of qkv, one row per position and head, converted once to the type the kernel's
      -- q·k takes. (Then attn_kv, attn_scores, attn_softmax and atty: all heads at once.)
      -- Inputs: qkv (t, x float8[3*C]): q, k and v of the new positions side by side.
      -- [T, 3*C] -> [T, NH, HS]
      SELECT qkv.t, head.h, qkv.x[head.h * 8 + 1 : (head.h + 1) * 8] AS q
      FROM qkv
      CROSS JOIN generate_series(0, 5 - 1) AS head(h)
    ),
    kv AS MATERIALIZED (            -- [Tk, NH, 2*HS]: each head's key and value of every place attended to
      -- attn_kv (stage attn, 2 of 5): each head's key and value of every place a new position may
      -- attend to: the places cached by earlier statements of this generation (kv_read.sql), then the
      -- new positions' own, cut out of qkv, in the types the kernel's arithmetic takes.
      -- Inputs: qkv (t, x float8[3*C]); start, the number of places already cached.
      -- [T, 3*C] -> [Tk, NH, 2*HS]
      -- kv_read (stage attn): each head's key and value of the places cached by earlier statements of
      -- this generation session (the first Tk - T places), stored as attention uses them, followed by
      -- the new positions' (attn_kv.sql adds them after the UNION ALL).
      -- Inputs: session; the block being computed; kv_cache, in the model's schema.
      -- [] -> [Tk - T, NH, 2*HS]
      SELECT place, head AS h, k, v
      FROM kv_cache
      WHERE session = $3::bigint AND block = forward.block + 1
      UNION ALL
      SELECT $2::int + qkv.t AS place, head.h,
             qkv.x[40 + head.h * 8 + 1 : 40 + (head.h + 1) * 8] AS k,
             qkv.x[2 * 40 + head.h * 8 + 1 : 2 * 40 + (head.h + 1) * 8] AS v
      FROM qkv
      CROSS JOIN generate_series(0, 5 - 1) AS head(h)
    ),
    preatt AS MATERIALIZED (        -- [T, NH, <=Tk]: q·k / sqrt(HS) for the places each query sees
      -- attn_scores (stage attn, 3 of 5): preatt = q·k / sqrt(HS), each new position's query against
      -- the key of every place up to and including its own (the causal mask: place <= the query's),
      -- computed by the kernel's q·k. Each score carries its place's value along, so att @ v reads
      -- them in place order without a join.
      -- Inputs: q (t, h, q) and kv (place, h, k, v); start, the number of places already cached.
      -- [T, NH, HS] x [Tk, NH, HS] -> [T, NH, <=Tk]
      SELECT q.t, q.h, kv.place, kv.v, (SELECT sum(x * y) FROM (SELECT unnest(kv.k) AS x, unnest(q.q) AS y) AS pair) / sqrt(8) AS preatt
      FROM q
      JOIN kv ON kv.h = q.h AND kv.place <= $2::int + q.t
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
               (SELECT sum(x * y) FROM (SELECT unnest(heads.att) AS x, unnest(heads.v[:][i:i]) AS y) AS pair) AS y
        FROM (
          SELECT att.t, att.h, array_agg(att.att ORDER BY att.place) AS att, array_agg(att.v ORDER BY att.place) AS v
          FROM att
          GROUP BY att.t, att.h
        ) AS heads
        CROSS JOIN generate_series(1, 8) AS i
      ) AS head_values
      GROUP BY t
    ),
    attproj AS MATERIALIZED (       -- [T, C] -> [T, C]: c_proj
      WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
        SELECT array_agg(ROW(input.t, 0, input.x)::position_activation ORDER BY input.t) AS x
        FROM atty AS input
      ),
      bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
        SELECT values::float8[] AS b
        FROM c_proj_b
        WHERE block = forward.block + 1
      )
      SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
      FROM (
        SELECT position.t, w.col,
               gpt2sql.dot(w.values, position.x)
               + (SELECT b FROM bias)[w.col + 1] AS y
        FROM c_proj_w AS w
        -- Each stored row against every position. The CASE makes the positions depend on the row, so
        -- the planner reads each stored row once, instead of copying the rows aside to read them again
        -- for each position.
        CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
        WHERE w.block = forward.block + 1
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
              FROM unnest(input.x, (SELECT values FROM ln_2_g WHERE block = forward.block + 1), (SELECT values FROM ln_2_b WHERE block = forward.block + 1)) AS e(x, g, b)) AS x
      FROM residual2 AS input
      CROSS JOIN LATERAL (SELECT avg(x) AS mean, var_pop(x) AS variance FROM unnest(input.x) AS x) AS stats
    ),
    fch AS MATERIALIZED (           -- [T, C] -> [T, 4*C]: mlp c_fc
      WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
        SELECT array_agg(ROW(input.t, 0, input.x)::position_activation ORDER BY input.t) AS x
        FROM ln2 AS input
      ),
      bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
        SELECT values::float8[] AS b
        FROM mlp_c_fc_b
        WHERE block = forward.block + 1
      )
      SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
      FROM (
        SELECT position.t, w.col,
               gpt2sql.dot(w.values, position.x)
               + (SELECT b FROM bias)[w.col + 1] AS y
        FROM mlp_c_fc_w AS w
        -- Each stored row against every position. The CASE makes the positions depend on the row, so
        -- the planner reads each stored row once, instead of copying the rows aside to read them again
        -- for each position.
        CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
        WHERE w.block = forward.block + 1
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
      WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
        SELECT array_agg(ROW(input.t, 0, input.x)::position_activation ORDER BY input.t) AS x
        FROM fch_gelu AS input
      ),
      bias AS MATERIALIZED (             -- the bias, read (and detoasted) once
        SELECT values::float8[] AS b
        FROM mlp_c_proj_b
        WHERE block = forward.block + 1
      )
      SELECT product.t, array_agg(product.y ORDER BY product.col) AS x
      FROM (
        SELECT position.t, w.col,
               gpt2sql.dot(w.values, position.x)
               + (SELECT b FROM bias)[w.col + 1] AS y
        FROM mlp_c_proj_w AS w
        -- Each stored row against every position. The CASE makes the positions depend on the row, so
        -- the planner reads each stored row once, instead of copying the rows aside to read them again
        -- for each position.
        CROSS JOIN LATERAL unnest(CASE WHEN w.col >= 0 THEN (SELECT x FROM activation) END) AS position
        WHERE w.block = forward.block + 1
        OFFSET 0  -- a subquery of its own: the dot products are computed where the rows are read (in the
                  -- workers), not after the sort by position, which would carry every stored row along
      ) AS product
      GROUP BY product.t
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
            FROM (SELECT x FROM qkv ORDER BY t) AS position, unnest(position.x[40 + 1 : 2 * 40]) AS k) AS k,
           (SELECT array_agg(v)
            FROM (SELECT x FROM qkv ORDER BY t) AS position, unnest(position.x[2 * 40 + 1 : 3 * 40]) AS v) AS v
    FROM residual3
  ) AS transformer_block
  WHERE forward.block + 1 < 3
),
final AS MATERIALIZED (         -- [T*C] -> [1, C]: the last position
  -- final: the last block's output, one row per position: every position, or only the last, whose
  -- logits choose the next token.
  -- Inputs: the last block's output (float8[T*C]).
  -- [T*C] -> [T', C]
  SELECT t, last.x[t * 40 + 1 : (t + 1) * 40] AS x
  FROM (SELECT (SELECT x FROM forward WHERE block = 2) AS x) AS last
  CROSS JOIN generate_series(cardinality(last.x) / 40 - 1, cardinality(last.x) / 40 - 1) AS t
),
lnf AS MATERIALIZED (           -- [T', C] -> [T', C]: ln_f
  SELECT input.t,
         (SELECT array_agg(e.g * ((e.x - stats.mean) / sqrt(stats.variance + 0.00001::float8)) + e.b)
          FROM unnest(input.x, (SELECT values FROM ln_f_g), (SELECT values FROM ln_f_b)) AS e(x, g, b)) AS x
  FROM final AS input
  CROSS JOIN LATERAL (SELECT avg(x) AS mean, var_pop(x) AS variance FROM unnest(input.x) AS x) AS stats
),
logits AS (                     -- [1, C] -> [V]
  -- logits: each position's final hidden state against every token's embedding, lnf @ lm_headᵀ
  -- (lm_head is a view over wte when the head is tied): one dot product per token, by the model's
  -- kernel. As in linear.sql, the activations are prepared once, into one array that parallel
  -- workers scanning lm_head share.
  -- Inputs: lnf (t, x float8[C]); lm_head.
  -- [T, C] -> [T, V]
  WITH activation AS MATERIALIZED (  -- every position's activation in the kernel's type, converted once
    SELECT array_agg(ROW(lnf.t, 0, lnf.x)::position_activation ORDER BY lnf.t) AS x
    FROM lnf
  )
  SELECT position.t, lm_head.token,
         gpt2sql.dot(lm_head.values, position.x) AS logit
  FROM lm_head
  -- each token's row against every position (the CASE: see linear.sql)
  CROSS JOIN LATERAL unnest(CASE WHEN lm_head.token >= 0 THEN (SELECT x FROM activation) END) AS position
),
-- probs: softmax(logits / temperature) over the vocabulary (rule 2 of src/reference/sample.ts):
-- the maximum is subtracted before exp(), and the sum runs in token order as the reference's.
-- exp() of less than -700 is taken as 0 (e^-700 is 1e-304): the quotient of a smaller one by the
-- sum could fall below the smallest float8, which PostgreSQL reports as an error where IEEE
-- arithmetic gives 0 (see "Numerics" in sql/README.md). Each token keeps its logit, which orders
-- the candidates. Empty when temperature = 0 (greedy needs no probabilities).
-- Inputs: logits (token, logit); temperature.
-- [V] -> [V]
scaled AS (                     -- [V]: logits / temperature
  SELECT token, logit, logit / $4::float8 AS z
  FROM logits
  WHERE $4::float8 > 0
),
exps AS (                       -- [V]: exp(z - max z)
  SELECT token, logit, CASE WHEN z - z_max > -700 THEN exp(z - z_max) ELSE 0 END AS e
  FROM scaled, (SELECT max(z) AS z_max FROM scaled) AS maximum
),
probs AS (                      -- [V]: e / sum(e)
  SELECT token, logit, e / (SELECT sum(e ORDER BY token) FROM exps) AS prob
  FROM exps
),
-- sample: chooses the next token as src/reference/sample.ts specifies. temperature = 0 is greedy:
-- the highest logit, ties to the lowest id. Otherwise: keep the top_k most probable (0 keeps all),
-- renormalize; keep the nucleus, each token whose running sum of probability before it is < top_p
-- (1 keeps all), renormalize; pick the first token whose running sum exceeds u = the first 32 bits
-- of md5('seed:step') / 2^32, or the last kept one if rounding leaves none. "By probability" is
-- logit descending, ties to the lower id: the order of probability, also among tokens whose
-- probabilities are equal (0 far below the top at a low temperature); every running sum is a
-- float8 sum in that order.
-- Inputs: logits (token, logit), probs (token, logit, prob); temperature, top_k, top_p, seed, step,
-- the index of the token being chosen (0 for the first new one).
-- [V] -> [1]
ranked AS (                     -- [V]: rank 1 is the most probable
  SELECT token, prob, row_number() OVER (ORDER BY logit DESC, token) AS rank
  FROM probs
),
top_k AS (                      -- [<=V]: the top_k first by probability, renormalized
  SELECT token, rank,
         prob / CASE WHEN $5::int > 0
                     THEN (SELECT sum(prob ORDER BY rank) FROM ranked WHERE rank <= $5::int)
                     ELSE 1 END AS prob
  FROM ranked
  WHERE $5::int = 0 OR rank <= $5::int
),
nucleus AS (                    -- [<=V]: the running sum of probability before each token
  SELECT token, rank, prob,
         coalesce(sum(prob) OVER (ORDER BY rank ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
  FROM top_k
),
kept AS (                       -- [<=V]: the nucleus, renormalized
  SELECT token, rank,
         prob / CASE WHEN $6::float8 < 1
                     THEN (SELECT sum(prob ORDER BY rank) FROM nucleus WHERE before < $6::float8)
                     ELSE 1 END AS prob
  FROM nucleus
  WHERE $6::float8 >= 1 OR before < $6::float8
),
cumulative AS (                 -- [<=V]: the running sum of the kept probabilities
  SELECT token, rank, sum(prob) OVER (ORDER BY rank ROWS UNBOUNDED PRECEDING) AS running
  FROM kept
),
uniform AS (                    -- []: u in [0, 1), the same in every PostgreSQL and in the reference
  SELECT ('x' || substr(md5($7::bigint::text || ':' || $8::int::text), 1, 8))::bit(32)::bigint
         / 4294967296.0::float8 AS u
),
chosen AS (                     -- [V] -> [1]
  SELECT token
  FROM (SELECT token FROM logits ORDER BY logit DESC, token LIMIT 1) AS greedy
  WHERE $4::float8 = 0
  UNION ALL
  SELECT coalesce(
           (SELECT token FROM cumulative, uniform WHERE running > u ORDER BY rank LIMIT 1),
           (SELECT token FROM cumulative ORDER BY rank DESC LIMIT 1))
  WHERE $4::float8 > 0
)
-- step_token_kv: what a step of the incremental engine returns: the chosen token and its bytes on
-- each of n_layer rows, one per block, with that block's keys and values of the new positions
-- (k and v, [T*C] each), for kv_save.sql to append to the cache.
-- [1], [n_layer, 2, T*C] -> [n_layer]: one row per block
SELECT chosen.token, vocab.bytes, new_kv.block, new_kv.k, new_kv.v
FROM chosen
LEFT JOIN vocab USING (token)
CROSS JOIN (
  SELECT block, k, v FROM forward WHERE block >= 0
) AS new_kv
