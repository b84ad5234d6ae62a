import type { Command } from 'commander';
import type { ModelRow } from '../../db/catalog-tables.ts';
import type { Database } from '../../db/database.ts';
import { findModel } from '../../engine/model.ts';
import { checkPrompt } from '../../engine/options.ts';
import { encode, unsendableText } from '../../engine/tokenizer.ts';
import { GptSqlError } from '../../errors.ts';
import { completeStatement, completeValues, nextPromptStatement, psqlScript, scoreTextStatement } from '../../sql/script.ts';
import { tokenize } from '../../sql/statements.ts';
import { withDatabase } from '../context.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { addCompletionFlags, addNextFlags, addScoreFlags, completionFlags, nextFlags, scoreFlags, type OptionFlags } from '../option-flags.ts';
import { readPrompt } from '../prompt-input.ts';

export type SqlCommandOptions = GlobalOptions & Pick<OptionFlags, 'maxTokens' | 'temperature' | 'topK' | 'topP' | 'seed' | 'top' | 'stride'>;

export type ScriptName = 'tokenize' | 'next' | 'complete' | 'score';

const PIPE_HINT = 'Run it with: psql -X -v ON_ERROR_STOP=1 -f FILE (or pipe it into psql); on the embedded database, through `gpt2sql serve`.';

/**
 * `gpt2sql sql tokenize|next|complete|score [PROMPT]`: prints one self-contained SQL script that
 * gives the same answer as `gpt2sql tokenize|next|complete|score` with the same options, for
 * psql. Options and the prompt are checked as those commands check them, before anything is
 * printed. Returns the script.
 */
export async function sqlCommand(name: ScriptName, prompt: string | undefined, options: SqlCommandOptions, io: Io): Promise<string> {
  const text = name === 'tokenize' ? sendable(prompt ?? (await io.readStdin())) : await readPrompt(prompt, io);
  const builders = { tokenize: () => tokenizeScript, next: nextScript, complete: completeScript, score: scoreScript };
  const build = builders[name](options);
  const script = await withDatabase(options, async (db) => {
    const model = await findModel(db, options.model);
    return build(db, model, text);
  }, { readsWeights: false });
  io.out(script);
  return script;
}

/** sql tokenize's text: any text PostgreSQL can hold, exactly as given (empty too). */
function sendable(text: string): string {
  const problem = unsendableText(text);
  if (problem) throw new GptSqlError(problem);
  return text;
}

type BuildScript = (db: Database, model: ModelRow, text: string) => Promise<string>;

async function tokenizeScript(_db: Database, model: ModelRow, text: string): Promise<string> {
  const header = ['gpt2sql sql tokenize: the token ids `gpt2sql tokenize` gives, as rows (position, token).'];
  return psqlScript(model, [...header, PIPE_HINT], tokenize(), { text });
}

function nextScript(options: SqlCommandOptions): BuildScript {
  const { top, temperature } = nextFlags(options); // the checks and defaults of `gpt2sql next`
  return async (db, model, text) => {
    await checkedPromptIds(db, model, text);
    const header = [
      `gpt2sql sql next: the candidates \`gpt2sql next --top ${top} --temperature ${temperature}\` gives,`,
      'as rows (id, token, logit, probability), ranked by logit (the order of probability).',
    ];
    return psqlScript(model, [...header, PIPE_HINT], nextPromptStatement(model), { text, top: Math.min(top, model.vocab_size), temperature });
  };
}

function completeScript(options: SqlCommandOptions): BuildScript {
  const completion = completionFlags(options);
  return async (db, model, text) => {
    await checkedPromptIds(db, model, text);
    const { maxTokens, temperature, topK, topP, seed } = completion;
    const flags = `--max-tokens ${maxTokens} --temperature ${temperature} --top-k ${topK} --top-p ${topP} --seed ${seed}`;
    const header = [
      `gpt2sql sql complete: the tokens \`gpt2sql complete ${flags}\` generates,`,
      'as one row (prompt_tokens, tokens, text, stop): the new token ids, their text, and why it stopped',
      '(eot: <|endoftext|> was chosen; max_tokens; n_ctx: the context is full). One statement.',
    ];
    return psqlScript(model, [...header, PIPE_HINT], completeStatement(model), completeValues(text, model, completion));
  };
}

function scoreScript(options: SqlCommandOptions): BuildScript {
  scoreFlags({ top: options.top }, 1); // --top now; the stride's bound needs the model's n_ctx
  return async (db, model, text) => {
    const { top, stride } = scoreFlags(options, model.n_ctx); // the checks and defaults of `gpt2sql score`
    await checkedTextIds(db, model, text);
    const header = [
      `gpt2sql sql score: the log-probabilities \`gpt2sql score --top ${top} --stride ${stride}\` gives, as rows`,
      '(position, id, token, logprob, top_ids, top_logprobs, perplexity), one per token: the first has no logprob,',
      `and a text longer than n_ctx = ${model.n_ctx} tokens is read in windows that start every ${stride} tokens.`,
    ];
    return psqlScript(model, [...header, PIPE_HINT], scoreTextStatement(model), { text, stride, top: Math.min(top, model.vocab_size) });
  };
}

/** A text to score must tokenize to ids of the model; any length, as `gpt2sql score` reads it in windows. */
async function checkedTextIds(db: Database, model: ModelRow, text: string): Promise<void> {
  const ids = await encode(db, model, text);
  checkPrompt(model, ids.slice(0, model.n_ctx));
}

/** The prompt must tokenize to something the model can read, as the commands require. */
async function checkedPromptIds(db: Database, model: ModelRow, text: string): Promise<number[]> {
  const ids = await encode(db, model, text);
  checkPrompt(model, ids);
  return ids;
}

export function registerSql(program: Command, io: Io): void {
  const sql = program
    .command('sql')
    .description('print the SQL of tokenize, next, complete or score as one self-contained script for psql')
    .addHelpText('after', `
Examples:
  $ gpt2sql sql tokenize "Hello, world" | psql -X -q -A -t
  $ gpt2sql sql next "Happy New Year! I wish you" --top 5 > next.sql
  $ gpt2sql sql complete "Hello" -n 5 --temperature 0.8 --seed 42 | psql -X -v ON_ERROR_STOP=1
  $ gpt2sql sql score "The quick brown fox" --top 3 > score.sql

The script sets search_path to the model's schema; its answer is the command's answer. On the
embedded database write the script to a file first, then run it through \`gpt2sql serve\`:
  $ gpt2sql sql complete "Hello" > complete.sql && gpt2sql serve &
  $ psql -h 127.0.0.1 -p 5433 -U postgres postgres -f complete.sql`);
  const action = (name: ScriptName) => async (prompt: string | undefined, _options: unknown, command: Command) => {
    await sqlCommand(name, prompt, command.optsWithGlobals<SqlCommandOptions>(), io);
  };
  sql.command('tokenize')
    .description('sql/tokenize.sql with the text inlined: rows (position, token)')
    .argument('[text]', 'the text (default: all of standard input, exactly as given)')
    .action(action('tokenize'));
  const next = sql.command('next')
    .description('the prompt tokenized and next.sql: the most probable next tokens')
    .argument('[prompt]', 'the text (default: standard input, without its final newline)');
  addNextFlags(next).action(action('next'));
  const complete = sql.command('complete')
    .description('the whole generation as one statement: tokenize, a recursive CTE of full forward passes and sampling, detokenize')
    .argument('[prompt]', 'the text to continue (default: standard input, without its final newline)');
  addCompletionFlags(complete).action(action('complete'));
  const score = sql.command('score')
    .description('the text tokenized and score.sql in windows of n_ctx tokens: each token\'s log-probability and the perplexity')
    .argument('[text]', 'the text (default: standard input, without its final newline)');
  addScoreFlags(score).action(action('score'));
}
