-- trace_block: a block's intermediates, from the temporary tables trace_stage.sql made, into
-- the trace: q, k and v cut per head out of qkv, as attention cuts them; the output appended to
-- forward for the next block.
-- [T, 3*C] -> [NH, T, HS] three times; [T*C] -> [T, C]
--
-- In psql: part of what `gpt2sql trace` runs, in one transaction (src/trace/).
INSERT INTO {{trace}}.ln1 SELECT {{block}}, t, x FROM ln1;
INSERT INTO {{trace}}.q
SELECT {{block}}, head.h, qkv.t, {{q}}
FROM qkv CROSS JOIN generate_series(0, {{n_head}} - 1) AS head(h);
INSERT INTO {{trace}}.k
SELECT {{block}}, head.h, qkv.t, {{k}}
FROM qkv CROSS JOIN generate_series(0, {{n_head}} - 1) AS head(h);
INSERT INTO {{trace}}.v
SELECT {{block}}, head.h, qkv.t, {{v}}
FROM qkv CROSS JOIN generate_series(0, {{n_head}} - 1) AS head(h);
INSERT INTO {{trace}}.preatt SELECT {{block}}, preatt.h, preatt.t, preatt.place, preatt.preatt FROM preatt;
INSERT INTO {{trace}}.att SELECT {{block}}, att.h, att.t, att.place, att.att FROM att;
INSERT INTO {{trace}}.atty SELECT {{block}}, t, x FROM atty;
INSERT INTO {{trace}}.attproj SELECT {{block}}, t, x FROM attproj;
INSERT INTO {{trace}}.residual2 SELECT {{block}}, t, x FROM residual2;
INSERT INTO {{trace}}.ln2 SELECT {{block}}, t, x FROM ln2;
INSERT INTO {{trace}}.fch SELECT {{block}}, t, x FROM fch;
INSERT INTO {{trace}}.fch_gelu SELECT {{block}}, t, x FROM fch_gelu;
INSERT INTO {{trace}}.fcproj SELECT {{block}}, t, x FROM fcproj;
INSERT INTO {{trace}}.residual3
SELECT {{block}}, t, residual3.x[t * {{n_embd}} + 1 : (t + 1) * {{n_embd}}]
FROM residual3 CROSS JOIN generate_series(0, cardinality(residual3.x) / {{n_embd}} - 1) AS t;
INSERT INTO forward SELECT {{block}}, x FROM residual3;
