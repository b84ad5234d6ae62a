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
