import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { DEFAULT_MODEL, listModels } from '../engine/model.ts';
import { checkPromptText } from '../engine/options.ts';
import { decode, decodeEach, encode } from '../engine/tokenizer.ts';
import type { ApiCall } from './api-call.ts';
import { asFieldError, invalidField } from './api-error.ts';
import { findApiModel } from './models.ts';
import { booleanField, checkFields, describe, given, isTokenIds, stringField, type Body } from './request-fields.ts';
import { sendJson } from './respond.ts';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * POST /tokenize, as llama.cpp's server has it: `{content, with_pieces?}` → `{tokens: [ids]}`, or
 * with pieces `{tokens: [{id, piece}]}` (a piece is text, or its bytes when they are not whole
 * UTF-8). `add_special` is accepted (GPT-2 adds no special tokens); `parse_special: true` is refused:
 * the text is tokenized as plain text, `<|endoftext|>` included, as tiktoken's encode_ordinary does.
 *
 * @example
 * // POST /tokenize {"content": "Hello, world"} → {"tokens": [15496, 11, 995]}
 */
export async function postTokenize(call: ApiCall): Promise<void> {
  const body = await call.body();
  checkFields(body, {
    accepted: ['content', 'with_pieces', 'add_special', 'model'],
    unsupported: { parse_special: { noop: (value) => value === false, asks: 'reads special tokens such as <|endoftext|> in the text' } },
  });
  booleanField(body, 'add_special');
  const withPieces = booleanField(body, 'with_pieces');
  const content = stringField(body, 'content');
  if (content === undefined) throw invalidField('content', 'content is required: the text to tokenize', 'missing_required_parameter');
  const model = await tokenizerModel(call.backend.db, body);
  const ids = content === '' ? [] : await asFieldError('content', () => {
    checkPromptText(content);
    return encode(call.backend.db, model, content);
  });
  if (!withPieces) return sendJson(call.response, 200, { tokens: ids });
  const pieces = await decodeEach(call.backend.db, model, ids);
  sendJson(call.response, 200, { tokens: pieces.map(({ token, bytes }) => ({ id: token, piece: pieceOf(bytes) })) });
}

/**
 * POST /detokenize, as llama.cpp's server has it: `{tokens: [ids]}` → `{content}`.
 *
 * @example
 * // POST /detokenize {"tokens": [15496, 11, 995]} → {"content": "Hello, world"}
 */
export async function postDetokenize(call: ApiCall): Promise<void> {
  const body = await call.body();
  checkFields(body, { accepted: ['tokens', 'model'] });
  const tokens = given(body, 'tokens') ?? [];
  if (!isTokenIds(tokens)) throw invalidField('tokens', `tokens must be a list of token ids (integers), got ${describe(tokens)}`);
  const model = await tokenizerModel(call.backend.db, body);
  const content = await asFieldError('tokens', () => decode(call.backend.db, model, tokens));
  sendJson(call.response, 200, { content });
}

/**
 * Whose vocabulary: `model` (an extension: llama.cpp's server has one model), else the only
 * loaded model, else gpt2, as the CLI's --model.
 */
async function tokenizerModel(db: Database, body: Body): Promise<ModelRow> {
  const name = stringField(body, 'model');
  if (name !== undefined) return findApiModel(db, name);
  const models = await listModels(db);
  return models.length === 1 ? models[0] : findApiModel(db, DEFAULT_MODEL);
}

/** A token's bytes as llama.cpp shows a piece: text when they are whole UTF-8, else the byte values. */
function pieceOf(bytes: Uint8Array): string | number[] {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return [...bytes];
  }
}
