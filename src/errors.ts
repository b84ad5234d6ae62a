export interface GptSqlErrorOptions extends ErrorOptions {
  /** The process's exit code when this error ends the CLI (default 1; 128 + n after signal n). */
  exitCode?: number;
}

/**
 * An error whose message is meant for the user: one line saying what happened and what to do.
 * The CLI prints only the message for these; other errors also get a hint to use --verbose.
 *
 * @example
 * throw new GptSqlError('interrupted by SIGTERM: …', { exitCode: 143 });
 */
export class GptSqlError extends Error {
  override name = 'GptSqlError';
  readonly exitCode: number;

  constructor(message: string, { exitCode = 1, ...options }: GptSqlErrorOptions = {}) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/**
 * A model that is not loaded, named by a call; the message names the loaded ones and how to load it.
 *
 * @example
 * throw new ModelNotLoadedError('gpt2-medium', ['gpt2']); // model "gpt2-medium" is not loaded (loaded models: gpt2); load it with: …
 */
export class ModelNotLoadedError extends GptSqlError {
  override name = 'ModelNotLoadedError';

  constructor(readonly model: string, loaded: readonly string[]) {
    const have = loaded.length ? `loaded models: ${loaded.join(', ')}` : 'no model is loaded yet';
    super(`model "${model}" is not loaded (${have}); load it with: gpt2sql load SOURCE --as ${model}`);
  }
}
