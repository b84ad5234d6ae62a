-- view_attention: every head's attention weights, block by block, for the explorer's grid of
-- small heatmaps: how much position t takes from position s <= t (att: softmax over s of
-- q·k / sqrt(HS)), rounded to 4 decimals (a grid cell shows no more; view_head.sql gives one
-- head's exact weights).
-- Inputs: the trace's att.
-- [NL, NH, T, <=T] -> the same, rounded
--
-- In psql: what the explorer's "show the SQL" gives, with the trace's schema in place.
SELECT block, head, t, s, round(weight::numeric, 4)::float8 AS weight
FROM {{trace}}.att
ORDER BY block, head, t, s
