import { checkPromptText } from '../engine/options.ts';
import type { Io } from './io.ts';

/**
 * A command's prompt: its argument, else standard input without the newline that ends its last
 * line. Refused before any database is opened when it is empty or PostgreSQL text cannot hold it
 * (a NUL, a lone surrogate): such a prompt must not start a first-run download of the default model.
 *
 * @example
 * const text = await readPrompt(prompt, io); // '' throws: the prompt is empty; give some text, as an argument or on standard input
 */
export async function readPrompt(prompt: string | undefined, io: Io): Promise<string> {
  const text = prompt ?? (await io.readStdin()).replace(/\r?\n$/, '');
  checkPromptText(text, ', as an argument or on standard input');
  return text;
}
