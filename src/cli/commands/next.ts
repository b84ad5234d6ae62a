import type { Command } from 'commander';
import type { Candidate } from '../../api/api-types.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { withModel } from '../model-access.ts';
import { addNextFlags, addWorkersFlag, buffersNotice, nextFlags, workersFlag, workersNotice, type OptionFlags } from '../option-flags.ts';
import { readPrompt } from '../prompt-input.ts';
import { interruptedError, withStopSignals } from '../signals.ts';
import { formatTable } from '../table.ts';

export interface NextCommandOptions extends GlobalOptions, Pick<OptionFlags, 'top' | 'temperature' | 'workers'> {
  json?: boolean;
}

/**
 * `gpt2sql next [PROMPT]`: the article's llm() function. The most probable next tokens with
 * their raw logits and probabilities, as a table or (--json) an array, ranked by logit.
 */
export async function nextCommand(prompt: string | undefined, options: NextCommandOptions, io: Io): Promise<Candidate[]> {
  const text = await readPrompt(prompt, io);
  const next = nextFlags(options);
  const workers = workersFlag(options);
  return withModel(options, io, async (gpt2, model) => {
    await workersNotice(gpt2, workers, io);
    await buffersNotice(gpt2, model, io);
    const candidates = await gpt2.next(text, { model: model.name, ...next, workers });
    // The statement is read-only and ran to its end: after a signal, stop without printing.
    if (options.signal?.aborted) throw interruptedError(options.signal!, ': the candidates were not printed; the database is unchanged');
    io.out(options.json ? `${JSON.stringify(candidates, null, 2)}\n` : formatCandidates(candidates));
    return candidates;
  });
}

/** The table view: rank, id, the token's text quoted (so spaces show), logit and probability. */
function formatCandidates(candidates: readonly Candidate[]): string {
  const rows = candidates.map((c, i) => [i + 1, c.id, JSON.stringify(c.token), c.logit.toFixed(4), c.probability.toFixed(6)]);
  return formatTable(['rank', 'id', 'token', 'logit', 'probability'], rows);
}

export function registerNext(program: Command, io: Io): void {
  const next = program
    .command('next')
    .description('the most probable next tokens after a text, with logits and probabilities (the article\'s llm())')
    .argument('[prompt]', 'the text (default: standard input, without its final newline)');
  addWorkersFlag(addNextFlags(next))
    .option('--json', 'print [{id, token, logit, probability}, …] ranked by logit (the order of probability)')
    .addHelpText('after', `
A prompt longer than the model's context (n_ctx tokens) is refused. Ctrl-C (or SIGTERM, SIGHUP)
stops after the statement running, without printing.

Examples:
  $ gpt2sql next "Happy New Year! I wish you"
  $ gpt2sql next "Hello, my name is" --top 5 --temperature 0.7 --json`)
    .action(async (prompt: string | undefined, _options: unknown, command: Command) => {
      await withStopSignals(io, 'stopping after the current statement', (signal) =>
        nextCommand(prompt, { ...command.optsWithGlobals<NextCommandOptions>(), signal }, io));
    });
}
