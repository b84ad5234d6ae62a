import type { Command } from 'commander';
import type { ModelRow } from '../../api/api-types.ts';
import type { ScriptName, ScriptOptions } from '../../api/psql-scripts.ts';
import { withGpt2Sql } from '../context.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { addCompletionFlags, addNextFlags, addScoreFlags, completionFlags, nextFlags, scoreFlags, type OptionFlags } from '../option-flags.ts';
import { readPrompt } from '../prompt-input.ts';

export type SqlCommandOptions = GlobalOptions & Pick<OptionFlags, 'maxTokens' | 'temperature' | 'topK' | 'topP' | 'seed' | 'top' | 'stride'>;

export type { ScriptName };

/**
 * `gpt2sql sql tokenize|next|complete|score [PROMPT]`: prints one self-contained SQL script that
 * gives the same answer as `gpt2sql tokenize|next|complete|score` with the same options, for
 * psql. Options and the prompt are checked as those commands check them, before anything is
 * printed. Returns the script.
 */
export async function sqlCommand(name: ScriptName, prompt: string | undefined, options: SqlCommandOptions, io: Io): Promise<string> {
  const text = name === 'tokenize' ? prompt ?? (await io.readStdin()) : await readPrompt(prompt, io);
  const checked = checkedFlags(name, options);
  const script = await withGpt2Sql(options, async (gpt2) => {
    const model = await gpt2.model(options.model);
    return gpt2.psql(name, text, { model: model.name, ...checked(model) });
  }, { readsWeights: false });
  io.out(script);
  return script;
}

/**
 * The flags of `name`, checked as its command checks them (messages name the flags), before the
 * database opens; score's stride is checked against the model's context once it is known.
 */
function checkedFlags(name: ScriptName, options: SqlCommandOptions): (model: ModelRow) => ScriptOptions {
  if (name === 'next') return constant(nextFlags(options));
  if (name === 'complete') return constant(completionFlags(options));
  if (name === 'score') scoreFlags({ top: options.top }, 1);
  return (model) => (name === 'score' ? scoreFlags(options, model.n_ctx) : {});
}

const constant = <T>(value: T) => () => value;

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
