-- tokenize: GPT-2's byte-level BPE encoder (OpenAI's encoder.py, tiktoken's "gpt2").
--
-- Input:  the text, the one parameter (valid UTF-8 without U+0000).
-- Tables: character_classes, byte_symbols, merges, vocab, in the model's schema (search_path).
-- Output: (position, token) for each token, position 0 .. T-1, ordered by position.
-- Shape:  text -> [T]
--
-- 1. characters: each code point of the text with its category (letter \p{L}, number \p{N},
--    space \s, other) from character_classes, never from the database's locale.
-- 2. pieces: the text cut as GPT-2's pattern cuts it,
--      's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
--    Tried in order at each place, the pattern boils down to where pieces start:
--    - a run of one category (letters, numbers or others) is a piece;
--    - a contraction ('s 't 'm 'd 're 've 'll) is a piece where a piece can start;
--    - a space (U+0020) just before a letter, number or other starts that piece;
--    - whitespace before a non-space character leaves its last character to stand alone
--      (or, if that is the space, to start the next piece): \s+(?!\S) backs off by one.
-- 3. bpe: each distinct piece as the symbols of its UTF-8 bytes (byte_symbols); then, as
--    encoder.py's bpe(), merge every occurrence of the adjacent pair with the lowest rank,
--    left to right, until no adjacent pair is in merges.
-- 4. The token of each final symbol (vocab), in order.
WITH RECURSIVE
characters AS (
  SELECT place, character, class.category
  FROM string_to_table($1::text, NULL) WITH ORDINALITY AS text_characters (character, place)
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
),
bpe (piece_text, symbols, done) AS (
  SELECT
    piece_text,
    ARRAY(
      SELECT symbol
      FROM convert_to(piece_text, 'UTF8') AS utf8
      CROSS JOIN generate_series(0, length(utf8) - 1) AS byte_place
      JOIN byte_symbols ON byte = get_byte(utf8, byte_place)
      ORDER BY byte_place
    ),
    FALSE
  FROM (SELECT DISTINCT piece_text FROM pieces) AS distinct_pieces
  UNION ALL
  -- Each symbol written as ' symbol ' so that replace() sees whole symbols; like bpe(), it
  -- replaces left to right without overlaps.
  SELECT
    piece_text,
    CASE WHEN best.rank IS NULL THEN symbols ELSE string_to_array(trim(replace(
      ' ' || array_to_string(symbols, '  ') || ' ',
      ' ' || best.first || '  ' || best.second || ' ',
      ' ' || best.first || best.second || ' '
    )), '  ') END,
    best.rank IS NULL
  FROM bpe
  LEFT JOIN LATERAL (
    SELECT rank, first, second
    FROM unnest(symbols[:cardinality(symbols) - 1], symbols[2:]) AS pair (first, second)
    JOIN merges USING (first, second)
    ORDER BY rank
    LIMIT 1
  ) AS best ON TRUE
  WHERE NOT done
)
SELECT (row_number() OVER (ORDER BY piece, symbol_place) - 1)::int AS position, vocab.token
FROM pieces
JOIN bpe ON bpe.piece_text = pieces.piece_text AND bpe.done
CROSS JOIN LATERAL unnest(bpe.symbols) WITH ORDINALITY AS final (symbol, symbol_place)
JOIN vocab ON vocab.symbol = final.symbol
ORDER BY position;
