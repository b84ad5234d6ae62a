// Around the generation error tests: a generated model loaded on a test database (with the
// reference's weights), the tokens the reference gives for a prompt, and the session rows a
// generation may leave behind.
import { rmSync } from 'node:fs';
import type { MakeCheckpointOptions } from '../../src/checkpoint/make-checkpoint.ts';
import { completeCommand } from '../../src/cli/commands/complete.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { generate as referenceGenerate, type GenerateOptions } from '../../src/reference/generate.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { dropModel, loadGeneratedModel, type LoadedModel } from '../helpers/loaded-model.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { cutTiktoken, SMALL_VOCAB } from '../helpers/small-vocab.ts';

/** The models of these tests have the small vocabulary (their subject is errors, not the vocabulary). */
export { SMALL_VOCAB };
/** The small vocabulary's reference tokenizer, js-tiktoken's gpt2 cut the same way. */
export const tiktoken = cutTiktoken(SMALL_VOCAB);
/** The small vocabulary's ids for `text`, by js-tiktoken; special tokens are plain text, as in gpt2sql. */
export const encode = (text: string) => tiktoken.encode(text, [], []);

/** Loads a generated checkpoint under a unique name with this prefix. */
export async function loadOn(target: TestDatabase, prefix: string, options: MakeCheckpointOptions): Promise<LoadedModel> {
  const db = await target.open();
  try {
    return await loadGeneratedModel(db, prefix, options);
  } finally {
    await db.close();
  }
}

/** Removes what a describe loaded: the model on the shared server, the whole directory on PGlite. */
export async function cleanUp(target: TestDatabase, ...loaded: Array<LoadedModel | undefined>): Promise<void> {
  if (target.driver === 'pglite') return rmSync(target.db, { recursive: true, force: true });
  const db = await target.open();
  try {
    for (const m of loaded) if (m) await dropModel(db, m.model);
  } finally {
    await db.close();
  }
}

/** The new tokens the reference generates after `prompt` on a loaded model, with gpt2sql's options. */
export function referenceTokens({ weights, eotId }: LoadedModel, prompt: string, options: Omit<GenerateOptions, 'eotId'>): number[] {
  return referenceGenerate(weights, encode(prompt), { ...options, eotId });
}

/** What `gpt2sql complete PROMPT --json --temperature 0 -n 5` gives: the test of "the model still works". */
export async function greedyTokens(db: string, model: string, prompt = 'Hello'): Promise<number[]> {
  const result = await completeCommand(prompt, { db, model, maxTokens: '5', temperature: '0', json: true }, memoryIo());
  return result.tokens;
}

/**
 * A model's generation sessions, and the rows of its keys/values cache (they belong to its
 * sessions: the engine removes a session with its cache, and stale sessions with theirs).
 */
export async function sessionRows(db: string, model: string): Promise<{ sessions: number; kvCache: number }> {
  const database = await openDatabase({ db });
  try {
    const [{ schema_name }] = await database.query<{ schema_name: string }>('SELECT schema_name FROM gpt2sql.models WHERE name = $1', [model]);
    const [row] = await database.query<{ sessions: number; kv_cache: number }>(`
      SELECT (SELECT count(*)::int FROM gpt2sql.sessions WHERE model = $1) AS sessions,
             (SELECT count(*)::int FROM ${quoteIdent(schema_name)}.kv_cache) AS kv_cache`, [model]);
    return { sessions: row.sessions, kvCache: row.kv_cache };
  } finally {
    await database.close();
  }
}
