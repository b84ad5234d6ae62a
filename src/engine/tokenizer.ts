import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { GptSqlError } from '../errors.ts';
import { renderBound, template } from '../sql/sql.ts';
import { detokenize, tokenize } from '../sql/statements.ts';
import { runStatement } from './run-statement.ts';
import { unsendableText } from './sendable-text.ts';

export { unsendableText };

/** One token of a sequence, as the tokenizer table view shows it. */
export interface TokenPiece {
  token: number;
  /** The token's bytes; several tokens may share one UTF-8 character. */
  bytes: Uint8Array;
}

/** The model whose vocabulary a tokenizer call uses. */
export type TokenizerModel = Pick<ModelRow, 'schema_name'>;

/** sql/tokenize.sql and sql/detokenize.sql, with their one input each bound. */
const TOKENIZE = renderBound(tokenize());
/** The text as UTF-8 bytes: PGlite's reader of text drops a leading U+FEFF, and decoding must keep every character. */
const DETOKENIZE = renderBound(template('detokenize_utf8', { detokenize: detokenize() }));
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * GPT-2's token ids for `text`, computed by sql/tokenize.sql in the database.
 *
 * @example
 * await encode(db, await findModel(db, 'gpt2'), 'Hello, world'); // [15496, 11, 995]
 */
export async function encode(db: Database, model: TokenizerModel, text: string): Promise<number[]> {
  const problem = unsendableText(text);
  if (problem) throw new GptSqlError(problem);
  const rows = await runStatement<{ position: number; token: number }>(db, model.schema_name, TOKENIZE, { text });
  return rows.map((row) => row.token);
}

/**
 * The text of a token sequence, computed by sql/detokenize.sql: the tokens' bytes read as
 * UTF-8, each ill-formed part replaced by U+FFFD as GPT-2's decoder does.
 *
 * @example
 * await decode(db, model, [15496, 11, 995]); // 'Hello, world'
 */
export async function decode(db: Database, model: TokenizerModel, ids: readonly number[]): Promise<string> {
  await checkIds(db, model, ids);
  const [row] = await runStatement<{ utf8: Uint8Array }>(db, model.schema_name, DETOKENIZE, { ids });
  return UTF8.decode(row.utf8);
}

/**
 * Each token's bytes, in order, for showing a sequence token by token.
 *
 * @example
 * await decodeEach(db, model, [31373]); // [{ token: 31373, bytes: Uint8Array [104, 101, 108, 108, 111] }]
 */
export async function decodeEach(db: Database, model: TokenizerModel, ids: readonly number[]): Promise<TokenPiece[]> {
  await checkIds(db, model, ids);
  const bytes = await vocabBytes(db, model, ids);
  return ids.map((token) => ({ token, bytes: Uint8Array.from(bytes.get(token)!) }));
}

/** The bytes of each distinct id that the vocabulary has. */
async function vocabBytes(db: Database, model: TokenizerModel, ids: readonly number[]): Promise<Map<number, Uint8Array>> {
  if (ids.length === 0) return new Map();
  const rows = await db.kysely.withSchema(model.schema_name).selectFrom('vocab')
    .select(['token', 'bytes']).where('token', '=', (eb) => eb.fn.any(eb.val([...new Set(ids)]))).execute();
  return new Map(rows.map((row) => [row.token, row.bytes]));
}

/** Refuses ids that are not integers in the vocabulary, naming the first few. */
async function checkIds(db: Database, model: TokenizerModel, ids: readonly number[]): Promise<void> {
  const malformed = ids.filter((id) => !Number.isInteger(id) || id < 0 || id > 0x7fffffff);
  const known = malformed.length ? new Map() : await vocabBytes(db, model, ids);
  const unknown = malformed.length ? malformed : [...new Set(ids)].filter((id) => !known.has(id)).sort((a, b) => a - b);
  if (unknown.length) {
    const { size } = await db.kysely.withSchema(model.schema_name).selectFrom('vocab').select((eb) => eb.fn.countAll<number>().as('size')).executeTakeFirstOrThrow();
    const listed = unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? ', …' : '');
    throw new GptSqlError(`not a token id of this model: ${listed}; ids run from 0 to ${Number(size) - 1}`);
  }
}
