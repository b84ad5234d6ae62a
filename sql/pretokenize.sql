-- pretokenize (stage tokenize, steps 1 and 2 of tokenize.sql): the text cut into pieces as
-- GPT-2's pattern cuts it, 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+,
-- from each code point's category (letter, number, space, other; character_classes, never the
-- database's locale). tokenize.sql explains the rules; this is the CTE list it starts with.
-- Inputs: the text; the table character_classes.
-- text -> [pieces]: pieces (piece, piece_text), in order
--
-- In psql: WITH RECURSIVE this, {{text}} = 'Hello world' SELECT * FROM pieces ORDER BY piece;
characters AS (
  SELECT place, character, class.category
  FROM string_to_table({{text}}, NULL) WITH ORDINALITY AS text_characters (character, place)
  CROSS JOIN LATERAL (
    SELECT category
    FROM character_classes
    WHERE first <= ascii(character)
    ORDER BY first DESC
    LIMIT 1
  ) AS class
),
neighbours AS (
  SELECT
    place, character, category,
    LAG(character) OVER by_place AS previous_character,
    LAG(category) OVER by_place AS previous_category,
    LEAD(category) OVER by_place AS next_category,
    LEAD(character, 1, '') OVER by_place || LEAD(character, 2, '') OVER by_place AS next_two
  FROM characters
  WINDOW by_place AS (ORDER BY place)
),
contractions AS (
  -- The length of the contraction that starts here: 2 for 's 't 'm 'd, 3 for 're 've 'll, else 0.
  -- None starts inside a run of others ("?'s") or after a space, which takes the ' instead (" 's").
  SELECT
    *,
    CASE
      WHEN character <> '''' OR previous_category = 'other' OR previous_character = ' ' THEN 0
      WHEN next_two IN ('re', 've', 'll') THEN 3
      WHEN left(next_two, 1) IN ('s', 't', 'm', 'd') THEN 2
      ELSE 0
    END AS contraction
  FROM neighbours
),
starts AS (
  SELECT
    place, character,
    CASE
      -- the first character
      WHEN previous_category IS NULL THEN TRUE
      -- whitespace: a run starts, or its last character stands apart from the rest (\s+(?!\S))
      WHEN category = 'space' THEN previous_category <> 'space' OR coalesce(next_category <> 'space', FALSE)
      -- after whitespace: a new piece, unless a space (U+0020) opened it already ( ?\p{L}+ …)
      WHEN previous_category = 'space' THEN previous_character <> ' '
      -- inside a contraction, and just after one
      WHEN LAG(contraction, 1) OVER by_place > 0 OR LAG(contraction, 2) OVER by_place = 3 THEN FALSE
      WHEN LAG(contraction, 2) OVER by_place = 2 OR LAG(contraction, 3) OVER by_place = 3 THEN TRUE
      -- letters, numbers, others: a new run
      ELSE category <> previous_category
    END AS starts_piece
  FROM contractions
  WINDOW by_place AS (ORDER BY place)
),
pieces AS (
  SELECT piece, string_agg(character, '' ORDER BY place) AS piece_text
  FROM (
    SELECT place, character, count(*) FILTER (WHERE starts_piece) OVER (ORDER BY place) AS piece
    FROM starts
  ) AS numbered
  GROUP BY piece
)
