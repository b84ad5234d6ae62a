import type { Database } from '../db/database.ts';
import { GptSqlError } from '../errors.ts';
import { render } from '../sql/render.ts';

/** One token of a sequence, as the tokenizer table view shows it. */
export interface TokenPiece {
  token: number;
  /** The token's bytes; several tokens may share one UTF-8 character. */
  bytes: Uint8Array;
}

/**
 * Why text is refused before it is sent, or undefined. PostgreSQL text holds valid UTF-8
 * without U+0000, so a NUL or a lone UTF-16 surrogate cannot reach sql/tokenize.sql.
 */
export function unsendableText(text: string): string | undefined {
  if (text.includes('\0')) return 'the text contains U+0000 (NUL), which PostgreSQL text cannot hold; remove it and try again';
  if (/\p{Cs}/u.test(text)) return 'the text contains a lone UTF-16 surrogate, which is not valid Unicode; fix the input and try again';
  return undefined;
}

/**
 * GPT-2's token ids for `text`, computed by sql/tokenize.sql in the database. The model's
 * schema must be on the search_path (useModel).
 *
 * @example
 * await useModel(db, await findModel(db, 'gpt2'));
 * await encode(db, 'Hello, world'); // [15496, 11, 995]
 */
export async function encode(db: Database, text: string): Promise<number[]> {
  const problem = unsendableText(text);
  if (problem) throw new GptSqlError(problem);
  const rows = await withoutJit(db, () => db.query<{ position: number; token: number }>(render('tokenize'), [text]));
  return rows.map((row) => row.token);
}

/**
 * The text of a token sequence, computed by sql/detokenize.sql: the tokens' bytes read as
 * UTF-8, each ill-formed part replaced by U+FFFD as GPT-2's decoder does.
 *
 * @example
 * await decode(db, [15496, 11, 995]); // 'Hello, world'
 */
export async function decode(db: Database, ids: readonly number[]): Promise<string> {
  await checkIds(db, ids);
  const [row] = await withoutJit(db, () => db.query<{ utf8: Uint8Array }>(detokenizeAsBytes(), [ids]));
  return UTF8.decode(row.utf8);
}

const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * sql/detokenize.sql with its text sent back as UTF-8 bytes: PGlite's wire protocol reader
 * decodes text with a TextDecoder that drops a leading U+FEFF, and decoding must keep every character.
 */
function detokenizeAsBytes(): string {
  const statement = render('detokenize').replace(/;\s*$/, '');
  return `SELECT convert_to(detokenized.text, 'UTF8') AS utf8 FROM (\n${statement}\n) AS detokenized`;
}

/**
 * Each token's bytes, in order, for showing a sequence token by token.
 *
 * @example
 * await decodeEach(db, [31373]); // [{ token: 31373, bytes: Uint8Array [104, 101, 108, 108, 111] }]
 */
export async function decodeEach(db: Database, ids: readonly number[]): Promise<TokenPiece[]> {
  await checkIds(db, ids);
  const rows = await db.query<{ token: number; bytes: Uint8Array }>(
    `SELECT vocab.token, vocab.bytes
     FROM unnest($1::int[]) WITH ORDINALITY AS ids (token, place)
     JOIN vocab USING (token)
     ORDER BY ids.place`,
    [ids],
  );
  return rows.map((row) => ({ token: row.token, bytes: Uint8Array.from(row.bytes) }));
}

/** Refuses ids that are not integers in the vocabulary, naming the first few. */
async function checkIds(db: Database, ids: readonly number[]): Promise<void> {
  const malformed = ids.filter((id) => !Number.isInteger(id) || id < 0 || id > 0x7fffffff);
  const [{ unknown }] = malformed.length
    ? [{ unknown: malformed }]
    : await db.query<{ unknown: number[] | null }>(
        'SELECT array_agg(DISTINCT id ORDER BY id) AS unknown FROM unnest($1::int[]) AS id WHERE NOT EXISTS (SELECT FROM vocab WHERE token = id)',
        [ids],
      );
  if (unknown && unknown.length) {
    const [{ size }] = await db.query<{ size: number }>('SELECT count(*)::int AS size FROM vocab');
    const listed = unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? ', …' : '');
    throw new GptSqlError(`not a token id of this model: ${listed}; ids run from 0 to ${size - 1}`);
  }
}

/**
 * Runs `fn` with PostgreSQL's JIT off. The planner's cost estimate for the recursive BPE is
 * far above jit_above_cost, so a server would spend about a second compiling a statement that
 * runs in milliseconds. SET LOCAL ends with the transaction.
 */
async function withoutJit<T>(db: Database, fn: () => Promise<T>): Promise<T> {
  return db.transaction(async () => {
    await db.exec('SET LOCAL jit = off');
    return fn();
  });
}
