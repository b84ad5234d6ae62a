import type { TokenizerFiles } from '../checkpoint/types.ts';
import type { Database } from '../db/database.ts';
import { byteaField, encodeTuple, int4Field, textField, type Field } from '../db/copy-binary.ts';
import { GptSqlError } from '../errors.ts';
import { quoteIdent } from '../sql/quote.ts';

/**
 * The tokenizer tables of a model's schema, read by sql/tokenize.sql and sql/detokenize.sql.
 * Symbols are strings in GPT-2's printable alphabet (bytes_to_unicode), compared byte by byte
 * (COLLATE "C") so no locale is involved.
 */
const TOKENIZER_TABLES = `
CREATE TABLE {schema}.byte_symbols (
  byte   int                NOT NULL,
  symbol text COLLATE "C"   NOT NULL
);
CREATE TABLE {schema}.vocab (
  token  int                NOT NULL,
  symbol text COLLATE "C"   NOT NULL,
  bytes  bytea              NOT NULL
);
CREATE TABLE {schema}.merges (
  rank   int                NOT NULL,
  first  text COLLATE "C"   NOT NULL,
  second text COLLATE "C"   NOT NULL
);
CREATE TABLE {schema}.character_classes (
  first    int              NOT NULL,
  last     int              NOT NULL,
  category text             NOT NULL CHECK (category IN ('letter', 'number', 'space', 'other'))
);
`;

/** Keys and indexes, built after the rows are in (faster than maintaining them row by row). */
const TOKENIZER_KEYS = `
ALTER TABLE {schema}.byte_symbols ADD PRIMARY KEY (byte), ADD UNIQUE (symbol);
ALTER TABLE {schema}.vocab ADD PRIMARY KEY (token), ADD UNIQUE (symbol);
ALTER TABLE {schema}.merges ADD PRIMARY KEY (rank), ADD UNIQUE (first, second);
ALTER TABLE {schema}.character_classes ADD PRIMARY KEY (first);
COMMENT ON TABLE {schema}.byte_symbols IS 'GPT-2 bytes_to_unicode(): the symbol standing for each byte in vocab and merges';
COMMENT ON TABLE {schema}.vocab IS 'GPT-2 vocabulary (encoder.json): token id, its symbol, and the bytes it decodes to';
COMMENT ON TABLE {schema}.merges IS 'GPT-2 BPE merge rules (vocab.bpe) by rank: the lowest rank merges first';
COMMENT ON TABLE {schema}.character_classes IS 'Code points first..last and their class in GPT-2''s pattern: letter (\\p{L}), number (\\p{N}), space (\\s), other';
ANALYZE {schema}.byte_symbols;
ANALYZE {schema}.vocab;
ANALYZE {schema}.merges;
ANALYZE {schema}.character_classes;
`;

/**
 * Creates and fills the tokenizer tables in `schema` (which must exist): byte_symbols, vocab,
 * merges and character_classes. Run it inside the loader's transaction.
 *
 * @example
 * await db.exec('CREATE SCHEMA gpt2');
 * await loadTokenizerTables(db, 'gpt2', await readTokenizerFiles('models/gpt2'));
 */
export async function loadTokenizerTables(db: Database, schema: string, tokenizer: TokenizerFiles): Promise<void> {
  await requireUtf8(db);
  const qualified = (table: string) => `${quoteIdent(schema)}.${table}`;
  await db.exec(TOKENIZER_TABLES.replaceAll('{schema}', quoteIdent(schema)));
  const symbols = bytesToUnicode();
  await db.copyBinary(qualified('byte_symbols'), ['byte', 'symbol'], tuples(symbols.map((symbol, byte) => [int4Field(byte), textField(symbol)])));
  const bytesOf = symbolDecoder(symbols);
  const vocab = [...tokenizer.encoder].map(([symbol, token]) => [int4Field(token), textField(symbol), byteaField(bytesOf(symbol))]);
  await db.copyBinary(qualified('vocab'), ['token', 'symbol', 'bytes'], tuples(vocab));
  const merges = tokenizer.merges.map(([first, second], rank) => [int4Field(rank), textField(first), textField(second)]);
  await db.copyBinary(qualified('merges'), ['rank', 'first', 'second'], tuples(merges));
  const classes = characterClasses().map((r) => [int4Field(r.first), int4Field(r.last), textField(r.category)]);
  await db.copyBinary(qualified('character_classes'), ['first', 'last', 'category'], tuples(classes));
  await db.exec(TOKENIZER_KEYS.replaceAll('{schema}', quoteIdent(schema)));
}

/** The tokenizer reads code points and UTF-8 bytes of text, which only a UTF8 database has. */
async function requireUtf8(db: Database): Promise<void> {
  const [{ encoding }] = await db.query<{ encoding: string }>(`SELECT current_setting('server_encoding') AS encoding`);
  if (encoding !== 'UTF8') {
    throw new GptSqlError(`the database's encoding is ${encoding}, and GPT-2's tokenizer needs UTF8; use a database created with ENCODING 'UTF8'`);
  }
}

async function* tuples(rows: Field[][]): AsyncIterable<Uint8Array> {
  for (const row of rows) yield encodeTuple(row);
}

/**
 * GPT-2's bytes_to_unicode(): byte b -> the printable character that stands for it in vocab and
 * merges. Printable Latin-1 bytes stand for themselves; the other 68 get U+0100, U+0101, … in order.
 *
 * @example
 * bytesToUnicode()[0x20]; // 'Ġ' (U+0120), the space
 */
export function bytesToUnicode(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const symbols: string[] = [];
  let next = 0x100;
  for (let b = 0; b < 256; b++) symbols.push(String.fromCodePoint(printable(b) ? b : next++));
  return symbols;
}

/** A token's symbol -> its bytes. A character outside GPT-2's alphabet (an added token) stands for its own UTF-8. */
function symbolDecoder(symbols: string[]): (symbol: string) => Uint8Array {
  const byteOf = new Map(symbols.map((symbol, byte) => [symbol, byte]));
  const utf8 = new TextEncoder();
  return (symbol) => {
    const bytes: number[] = [];
    for (const character of symbol) {
      const byte = byteOf.get(character);
      if (byte === undefined) bytes.push(...utf8.encode(character));
      else bytes.push(byte);
    }
    return Uint8Array.from(bytes);
  };
}

export type CharacterCategory = 'letter' | 'number' | 'space' | 'other';

/** A run of code points first..last (inclusive) of one category. */
export interface CharacterClass {
  first: number;
  last: number;
  category: CharacterCategory;
}

let cachedClasses: CharacterClass[] | undefined;

/**
 * Every code point's category as GPT-2's pattern sees it, asked of this Node's own RegExp
 * (\p{L}, \p{N}, \s with the u flag, as js-tiktoken runs the pattern), so the database's locale
 * never matters. About 1,500 runs covering 0..0x10FFFF; surrogates are 'other'.
 */
export function characterClasses(): CharacterClass[] {
  if (cachedClasses) return cachedClasses;
  const [letter, number, space] = [/\p{L}/u, /\p{N}/u, /\s/u];
  const categoryOf = (character: string): CharacterCategory =>
    letter.test(character) ? 'letter' : number.test(character) ? 'number' : space.test(character) ? 'space' : 'other';
  const runs: CharacterClass[] = [];
  for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
    const category = categoryOf(String.fromCodePoint(codePoint));
    const last = runs[runs.length - 1];
    if (last && last.category === category) last.last = codePoint;
    else runs.push({ first: codePoint, last: codePoint, category });
  }
  cachedClasses = runs;
  return runs;
}
