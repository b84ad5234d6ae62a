import { DEFAULT_MODEL, type Gpt2Sql } from '../api/gpt2sql.ts';
import type { ModelRow } from '../api/api-types.ts';
import { GptSqlError } from '../errors.ts';
import { loadCommand } from './commands/load.ts';
import { withGpt2Sql } from './context.ts';
import type { GlobalOptions, Io } from './io.ts';

/**
 * Runs `fn` with the model of --model (default gpt2). On a first run, when the default model is
 * not loaded yet, loads it from the Hugging Face hub first (with progress); other missing models
 * get the library's message naming the loaded ones.
 *
 * @example
 * await withModel(options, io, async (gpt2, model) => gpt2.next(text, { model: model.name }));
 */
export async function withModel<T>(options: GlobalOptions, io: Io, fn: (gpt2: Gpt2Sql, model: ModelRow) => Promise<T>): Promise<T> {
  const name = options.model ?? DEFAULT_MODEL;
  const missing = Symbol('missing');
  const result = await withGpt2Sql(options, async (gpt2) => {
    if (name === DEFAULT_MODEL && !(await gpt2.models()).some((model) => model.name === name)) return missing;
    return { value: await fn(gpt2, await gpt2.model(name)) };
  });
  if (result !== missing) return result.value;
  await loadDefaultModel(options, io);
  return withGpt2Sql(options, async (gpt2) => fn(gpt2, await gpt2.model(name)));
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
