/**
 * An error whose message is meant for the user: one line saying what happened and what to do.
 * The CLI prints only the message for these; other errors also get a hint to use --verbose.
 */
export class GptSqlError extends Error {
  override name = 'GptSqlError';
}
