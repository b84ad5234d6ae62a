import { DEFAULT_MODEL, type Gpt2Sql } from '../api/gpt2sql.ts';
import type { ModelRow } from '../api/api-types.ts';
import { GptSqlError, ModelNotLoadedError } from '../errors.ts';
import { loadCommand } from './commands/load.ts';
import { withGpt2Sql } from './context.ts';
import type { GlobalOptions, Io } from './io.ts';
import { asFlagError, type OptionFlags } from './option-flags.ts';

/**
 * Runs `fn` with the model of --model (default gpt2). On a first run, when the default model is
 * not loaded yet, loads it from the Hugging Face hub first (with progress) and opens the database
 * again, sized for it; other missing models get a message naming the loaded ones. An OptionError
 * the library gives for an option from a flag (--workers, checked against the database's limits)
 * becomes a message about that flag.
 *
 * @example
 * await withModel(options, io, async (gpt2, model) => gpt2.next(text, { model: model.name }));
 */
export async function withModel<T>(options: GlobalOptions & OptionFlags, io: Io, fn: (gpt2: Gpt2Sql, model: ModelRow) => Promise<T>): Promise<T> {
  const name = options.model ?? DEFAULT_MODEL;
  let ran = false;
  const run = (gpt2: Gpt2Sql, model: ModelRow) => {
    ran = true;
    return fn(gpt2, model);
  };
  try {
    return await withLoadedModel(options, name, run);
  } catch (error) {
    // A first run: the default model missing as the database opened, before `fn` ran.
    const firstRun = !ran && error instanceof ModelNotLoadedError && name === DEFAULT_MODEL;
    if (!firstRun) throw asFlagError(options, error);
  }
  await loadDefaultModel(options, io);
  return withLoadedModel(options, name, fn).catch((error: unknown) => {
    throw asFlagError(options, error);
  });
}

/** Opens the database and runs `fn` with the model `name`; a ModelNotLoadedError, naming the loaded ones, when it is not loaded. */
async function withLoadedModel<T>(options: GlobalOptions, name: string, fn: (gpt2: Gpt2Sql, model: ModelRow) => Promise<T>): Promise<T> {
  return withGpt2Sql(options, async (gpt2) => {
    const models = await gpt2.models();
    const model = models.find((loaded) => loaded.name === name);
    if (!model) throw new ModelNotLoadedError(name, models.map((loaded) => loaded.name));
    return fn(gpt2, model);
  });
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
