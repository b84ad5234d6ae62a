-- trace_tables: the tables of a trace (gpt2sql trace), one per intermediate of GPT-2's forward
-- pass, named as llm.c and src/reference/trace.ts name them. Blocks, heads and positions count
-- from 0; t is a position in the text. A vector is one float8[] per row (unnest(x) WITH
-- ORDINALITY gives its values); attention, logits and probabilities have one row per value.
-- docs/trace.md describes each table, with example queries.
-- [] -> one table per intermediate, empty
--
-- In psql: part of what `gpt2sql trace` runs, in one transaction (src/trace/).
CREATE SCHEMA {{trace}};
CREATE TABLE {{trace}}.info (       -- what was traced
  model text NOT NULL, prompt text NOT NULL, n_layer int NOT NULL, n_head int NOT NULL,
  n_embd int NOT NULL, kernel text NOT NULL, traced_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE {{trace}}.tokens (     -- [T]: the prompt's tokens, each with its own text
  t int PRIMARY KEY, token int NOT NULL, text text NOT NULL
);
CREATE TABLE {{trace}}.encoded (    -- [T, C]: wte[token] + wpe[t]
  t int PRIMARY KEY, x float8[] NOT NULL
);
CREATE TABLE {{trace}}.ln1 (        -- [T, C]: ln_1 of the block's input
  block int, t int, x float8[] NOT NULL, PRIMARY KEY (block, t)
);
CREATE TABLE {{trace}}.q (          -- [NH, T, HS]: each head's queries
  block int, head int, t int, x float8[] NOT NULL, PRIMARY KEY (block, head, t)
);
CREATE TABLE {{trace}}.k (LIKE {{trace}}.q INCLUDING ALL);  -- [NH, T, HS]: keys
CREATE TABLE {{trace}}.v (LIKE {{trace}}.q INCLUDING ALL);  -- [NH, T, HS]: values
CREATE TABLE {{trace}}.preatt (     -- [NH, T, <=T]: q·k / sqrt(HS) of position t with each s <= t
  block int, head int, t int, s int, score float8 NOT NULL, PRIMARY KEY (block, head, t, s)
);
CREATE TABLE {{trace}}.att (        -- [NH, T, <=T]: softmax over s of preatt: how much t attends to s
  block int, head int, t int, s int, weight float8 NOT NULL, PRIMARY KEY (block, head, t, s)
);
CREATE TABLE {{trace}}.atty (LIKE {{trace}}.ln1 INCLUDING ALL);       -- [T, C]: att @ v, heads side by side
CREATE TABLE {{trace}}.attproj (LIKE {{trace}}.ln1 INCLUDING ALL);    -- [T, C]: after c_proj
CREATE TABLE {{trace}}.residual2 (LIKE {{trace}}.ln1 INCLUDING ALL);  -- [T, C]: block input + attproj
CREATE TABLE {{trace}}.ln2 (LIKE {{trace}}.ln1 INCLUDING ALL);        -- [T, C]: ln_2 of residual2
CREATE TABLE {{trace}}.fch (LIKE {{trace}}.ln1 INCLUDING ALL);        -- [T, 4*C]: c_fc, before gelu
CREATE TABLE {{trace}}.fch_gelu (LIKE {{trace}}.ln1 INCLUDING ALL);   -- [T, 4*C]: after gelu
CREATE TABLE {{trace}}.fcproj (LIKE {{trace}}.ln1 INCLUDING ALL);     -- [T, C]: the MLP's output
CREATE TABLE {{trace}}.residual3 (LIKE {{trace}}.ln1 INCLUDING ALL);  -- [T, C]: the block's output
CREATE TABLE {{trace}}.lnf (LIKE {{trace}}.encoded INCLUDING ALL);    -- [T, C]: ln_f of the last block's output
-- logits and probs have T * V rows: their primary keys are added after the rows (trace_end.sql).
CREATE TABLE {{trace}}.logits (     -- [T, V]: lnf @ wteᵀ, the score of each token to come after t
  t int NOT NULL, token int NOT NULL, logit float8 NOT NULL
);
CREATE TABLE {{trace}}.probs (      -- [T, V]: softmax of each position's logits (temperature 1)
  t int NOT NULL, token int NOT NULL, prob float8 NOT NULL
);
COMMENT ON SCHEMA {{trace}} IS 'gpt2sql trace: every intermediate of one forward pass (docs/trace.md)';
