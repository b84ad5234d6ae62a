-- trace_lens: the logit lens (nostalgebraist, 2020): what each block's output would predict if
-- it were the last block. Each block's output (residual3) at the lens's positions goes through
-- the model's own final layer norm (ln_f) and output head (logits.sql), and a softmax over the
-- whole vocabulary at temperature 1 (probs.sql); the top 5 tokens of each block and position
-- are kept, rank 1 the most probable. The last block's rows are the model's own prediction: where
-- the trace has that position's logits and probs (trace_end.sql), they are read from there
-- instead of computed again.
-- The rows of residual3 are numbered n = block * T + t so that one scan of lm_head serves every
-- block at once (logits.sql computes every row of lnf against each token's row).
-- Inputs: the trace's residual3 and tokens; the positions the lens looks at (the last one by
-- default); ln_f_g, ln_f_b, lm_head and vocab of the model's schema.
-- [NL, T', C] -> [NL, T', V] -> [NL, T', 5]
--
-- In psql: part of what `gpt2sql trace` runs, in one transaction (src/trace/).
CREATE TABLE {{trace}}.lens (       -- [NL, T', 5]: the logit lens, top 5 of each block's output
  block int, t int, rank int, token int NOT NULL, text text NOT NULL, logit float8 NOT NULL,
  prob float8 NOT NULL, PRIMARY KEY (block, t, rank)
);
INSERT INTO {{trace}}.lens (block, t, rank, token, text, logit, prob)
WITH
lens_rows AS MATERIALIZED (      -- [NL*T']: n = block * T + t, but the last block's where probs has them
  SELECT residual3.block * (SELECT count(*) FROM {{trace}}.tokens)::int + residual3.t AS n,
         residual3.block, residual3.t, residual3.x
  FROM {{trace}}.residual3
  WHERE {{positions}}
    AND NOT (residual3.block = {{n_layer}} - 1
             AND EXISTS (SELECT FROM {{trace}}.probs WHERE probs.t = residual3.t))
),
final_rows AS (                  -- [T', 5]: the last block's lens, from the trace's logits and probs
  SELECT {{n_layer}} - 1 AS block, t, rank, token, logit, prob
  FROM (SELECT logits.t, logits.token, logits.logit, probs.prob,
               row_number() OVER (PARTITION BY logits.t ORDER BY logits.logit DESC, logits.token) AS rank
        FROM {{trace}}.logits
        JOIN {{trace}}.probs USING (t, token)
        JOIN {{trace}}.residual3 ON residual3.block = {{n_layer}} - 1 AND residual3.t = logits.t
        WHERE {{positions}}) AS ranked
  WHERE rank <= 5
),
final AS MATERIALIZED (          -- [NL*T', C]: the rows ln_f reads, as lnf reads the last block's
  SELECT n AS t, x FROM lens_rows
),
lnf AS MATERIALIZED (            -- [NL*T', C] -> [NL*T', C]: ln_f
  {{lnf}}
),
logits AS MATERIALIZED (         -- [NL*T', C] -> [NL*T', V]: lnf @ lm_headᵀ
  {{logits}}
),
choosing AS (                    -- every row at temperature 1: the model's own distribution
  SELECT n AS t, 1::float8 AS temperature FROM lens_rows
),
{{probs}},
top AS (                         -- [NL*T', 5]: by logit, ties to the lower id, as sample.sql ranks
  SELECT softmax.t AS n, (best.i - 1)::int AS token, best.logit,
         CASE WHEN best.logit - softmax.z_max > -700 THEN exp(best.logit - softmax.z_max) ELSE 0 END / softmax.total AS prob,
         row_number() OVER (PARTITION BY softmax.t ORDER BY best.logit DESC, best.i) AS rank
  FROM softmax
  JOIN logits USING (t)
  CROSS JOIN LATERAL (SELECT logit, i
                      FROM (SELECT unnest(logits.logit) AS logit, generate_subscripts(logits.logit, 1) AS i) AS token_logit
                      ORDER BY logit DESC, i
                      LIMIT 5) AS best
)
SELECT block, t, rank, token, (
         {{detokenize}}
       ), logit, prob
FROM (SELECT lens_rows.block, lens_rows.t, top.rank, top.token, top.logit, top.prob
      FROM top
      JOIN lens_rows USING (n)
      UNION ALL
      SELECT block, t, rank, token, logit, prob
      FROM final_rows) AS top;
