/**
 * The statements for psql: one self-contained script per question (tokenize, next, complete,
 * score) that gives the same answer as the engine with the same options. `gpt2sql sql` prints
 * them; the library returns them (Gpt2Sql.psql).
 */
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { checkPrompt, completionOptions, nextOptions, scoreOptions, type Completion, type NextOptions, type ScoreOptions } from '../engine/options.ts';
import { encode, unsendableText } from '../engine/tokenizer.ts';
import { GptSqlError } from '../errors.ts';
import { completeStatement, completeValues, nextPromptStatement, psqlScript, scoreTextStatement } from '../sql/script.ts';
import { samplingFlags } from '../sql/sampling-fields.ts';
import { tokenize } from '../sql/statements.ts';

export type ScriptName = 'tokenize' | 'next' | 'complete' | 'score';

/** The options each script takes: those of the command whose answer it gives; missing ones take its defaults. */
export type ScriptOptions = Partial<Completion & NextOptions & ScoreOptions>;

const PIPE_HINT = 'Run it with: psql -X -v ON_ERROR_STOP=1 -f FILE (or pipe it into psql); on the embedded database, through `gpt2sql serve`.';

/**
 * The script `name` for `text` on `model`: options and text are checked as the engine checks
 * them (the prompt must tokenize to ids the model reads), before the script is written.
 *
 * @example
 * const script = await psqlStatements(db, model, 'complete', 'Hello', { maxTokens: 5 });
 * // psql -X -v ON_ERROR_STOP=1 -f complete.sql  ->  one row (prompt_tokens, tokens, text, stop)
 */
export async function psqlStatements(db: Database, model: ModelRow, name: ScriptName, text: string, options: ScriptOptions = {}): Promise<string> {
  if (name === 'tokenize') return tokenizeScript(model, text);
  if (name === 'next') return nextScript(db, model, text, nextOptions(options));
  if (name === 'complete') return completeScript(db, model, text, completionOptions(options));
  return scoreScript(db, model, text, scoreOptions(options, model.n_ctx));
}

/** tokenize's text: any text PostgreSQL can hold, exactly as given (empty too). */
function tokenizeScript(model: ModelRow, text: string): string {
  const problem = unsendableText(text);
  if (problem) throw new GptSqlError(problem);
  const header = ['gpt2sql sql tokenize: the token ids `gpt2sql tokenize` gives, as rows (position, token).'];
  return psqlScript(model, [...header, PIPE_HINT], tokenize(), { text });
}

async function nextScript(db: Database, model: ModelRow, text: string, { top, temperature }: NextOptions): Promise<string> {
  await checkedPromptIds(db, model, text);
  const header = [
    `gpt2sql sql next: the candidates \`gpt2sql next --top ${top} --temperature ${temperature}\` gives,`,
    'as rows (id, token, logit, probability), ranked by logit (the order of probability).',
  ];
  return psqlScript(model, [...header, PIPE_HINT], nextPromptStatement(model), { text, top: Math.min(top, model.vocab_size), temperature });
}

async function completeScript(db: Database, model: ModelRow, text: string, completion: Completion): Promise<string> {
  await checkedPromptIds(db, model, text);
  const { maxTokens, ...sampling } = completion;
  const flags = `--max-tokens ${maxTokens} ${samplingFlags(sampling)}`;
  const header = [
    `gpt2sql sql complete: the tokens \`gpt2sql complete ${flags}\` generates,`,
    'as one row (prompt_tokens, tokens, text, stop): the new token ids, their text, and why it stopped',
    '(eot: <|endoftext|> was chosen; max_tokens; n_ctx: the context is full). One statement.',
  ];
  return psqlScript(model, [...header, PIPE_HINT], completeStatement(model), completeValues(text, model, completion));
}

async function scoreScript(db: Database, model: ModelRow, text: string, { top, stride }: ScoreOptions): Promise<string> {
  const ids = await encode(db, model, text);
  checkPrompt(model, ids.slice(0, model.n_ctx)); // any length: score reads it in windows
  const header = [
    `gpt2sql sql score: the log-probabilities \`gpt2sql score --top ${top} --stride ${stride}\` gives, as rows`,
    '(position, id, token, logprob, top_ids, top_logprobs, perplexity), one per token: the first has no logprob,',
    `and a text longer than n_ctx = ${model.n_ctx} tokens is read in windows that start every ${stride} tokens.`,
  ];
  return psqlScript(model, [...header, PIPE_HINT], scoreTextStatement(model), { text, stride, top: Math.min(top, model.vocab_size) });
}

/** The prompt must tokenize to something the model can read, as the commands require. */
async function checkedPromptIds(db: Database, model: ModelRow, text: string): Promise<void> {
  checkPrompt(model, await encode(db, model, text));
}
