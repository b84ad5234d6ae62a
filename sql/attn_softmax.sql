-- attn_softmax (stage attn, 4 of 5): att = softmax of each query's scores over its places:
-- exp(preatt - max), divided by the sum. exp() of less than -300 is taken as 0 (e^-300 is
-- 5e-131): such a weight changes att @ v by less than float8 can show next to the largest, and
-- every product of the weights that remain with a value stays far from float8's smallest, below
-- which PostgreSQL raises an error where IEEE arithmetic gives 0 (sql/README.md, Numerics).
-- Inputs: preatt (t, h, place, v, preatt).
-- [T, NH, <=Tk] -> [T, NH, <=Tk]
--
-- In psql: WITH preatt (t, h, place, v, preatt) AS (VALUES (0, 0, 0, NULL::float8[], 1.0),
--   (0, 0, 1, NULL, -1000)) this;
SELECT t, h, place, v, e / sum(e) OVER query_row AS att
FROM (
  SELECT t, h, place, v, CASE WHEN z > -300 THEN exp(z) ELSE 0 END AS e
  FROM (SELECT t, h, place, v,     -- the max over the same window as the sum: one sort serves both
               preatt - max(preatt) OVER (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS z
        FROM preatt) AS shifted
) AS exps
WINDOW query_row AS (PARTITION BY t, h ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
