import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { DEFAULT_MODEL, findModel, listModels } from '../engine/model.ts';
import { GptSqlError } from '../errors.ts';
import { loadCommand } from './commands/load.ts';
import { withDatabase } from './context.ts';
import type { GlobalOptions, Io } from './io.ts';

/**
 * Runs `fn` with the model of --model (default gpt2). On a first run, when the default model is
 * not loaded yet, loads it from the Hugging Face hub first (with progress); other missing models
 * get findModel's message.
 *
 * @example
 * await withModel(options, io, async (db, model) => nextTokens(db, model, await encode(db, model, text)));
 */
export async function withModel<T>(options: GlobalOptions, io: Io, fn: (db: Database, model: ModelRow) => Promise<T>): Promise<T> {
  const name = options.model ?? DEFAULT_MODEL;
  const missing = Symbol('missing');
  const result = await withDatabase(options, async (db) => {
    if (name === DEFAULT_MODEL && !(await listModels(db)).some((model) => model.name === name)) return missing;
    return { value: await fn(db, await findModel(db, name)) };
  });
  if (result !== missing) return result.value;
  await loadDefaultModel(options, io);
  return withDatabase(options, async (db) => fn(db, await findModel(db, name)));
}

async function loadDefaultModel(options: GlobalOptions, io: Io): Promise<void> {
  io.err(`gpt2sql: model ${DEFAULT_MODEL} is not loaded yet; loading it from the Hugging Face hub first (only this once)\n`);
  try {
    await loadCommand(DEFAULT_MODEL, { ...options, as: DEFAULT_MODEL }, io);
  } catch (error) {
    if (!(error instanceof GptSqlError) || options.signal?.aborted) throw error;
    throw new GptSqlError(`${error.message.replace(/\.$/, '')}; to use a checkpoint on disk instead: gpt2sql load DIR --as ${DEFAULT_MODEL} ` +
      '(DIR holds config.json, model.safetensors, vocab.json and merges.txt), or load one under any name and pass --model NAME');
  }
}
