import type { Command } from 'commander';
import type { Completed } from '../../api/api-types.ts';
import type { ModelRow } from '../../api/api-types.ts';
import { TokenText } from '../../engine/token-text.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { withModel } from '../model-access.ts';
import { addCompletionFlags, addWorkersFlag, buffersNotice, generationFlags, workersFlag, workersNotice, type OptionFlags } from '../option-flags.ts';
import { readPrompt } from '../prompt-input.ts';
import { interruptedError, withStopSignals } from '../signals.ts';

export interface CompleteCommandOptions extends GlobalOptions, Pick<OptionFlags, 'maxTokens' | 'temperature' | 'topK' | 'topP' | 'seed' | 'engine' | 'workers'> {
  json?: boolean;
}

/** What `complete --json` prints. */
export interface CompleteResult {
  model: string;
  prompt_tokens: number[];
  tokens: number[];
  text: string;
  seconds: number;
}

/**
 * `gpt2sql complete [PROMPT]`: prints the prompt, then each new token the moment the database
 * chooses it (or, with --json, one object at the end). Options are checked before any SQL runs.
 */
export async function completeCommand(prompt: string | undefined, options: CompleteCommandOptions, io: Io): Promise<CompleteResult> {
  const text = await readPrompt(prompt, io);
  const workers = workersFlag(options);
  const { completion, engine } = generationFlags(options);
  return withModel(options, io, async (gpt2, model) => {
    await workersNotice(gpt2, workers, io);
    await buffersNotice(gpt2, model, io);
    // Printed as the text streams; the bytes of a character split across tokens wait for the rest.
    const pieces = new TokenText();
    let started = 0;
    const completed = await gpt2.complete(text, {
      ...completion, model: model.name, engine, workers, signal: options.signal,
      onPrompt: () => { // once the prompt is accepted: a refused prompt prints nothing
        if (!options.json) io.out(text);
        started = performance.now();
      },
      onToken: (token) => options.json || io.out(pieces.push(token.bytes)),
    });
    const seconds = Math.round(performance.now() - started) / 1000;
    if (!options.json) io.out(`${pieces.end()}\n`);
    const result = { model: model.name, prompt_tokens: completed.promptTokens, tokens: completed.tokens, text: completed.text, seconds };
    if (options.json) io.out(`${JSON.stringify(result)}\n`);
    reportStop(completed, model, options, io);
    return result;
  });
}

const counted = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * After the text is printed: a notice when the context ran out before --max-tokens; when
 * interrupted, an error with the exit code a shell expects after the signal (130 after Ctrl-C).
 */
function reportStop(completed: Completed, model: ModelRow, { signal }: GlobalOptions, io: Io): void {
  const count = completed.tokens.length;
  if (completed.stop === 'n_ctx') {
    io.err(`gpt2sql: stopped after ${counted(count, 'new token')}: the prompt (${counted(completed.promptTokens.length, 'token')}) and the new ones fill ` +
      `model ${model.name}'s context of n_ctx = ${model.n_ctx} tokens\n`);
  }
  if (completed.stop === 'aborted') throw interruptedError(signal!, ` after ${counted(count, 'new token')}; the text generated so far was printed`);
}

export function registerComplete(program: Command, io: Io): void {
  const complete = program
    .command('complete')
    .description('continue a text with GPT-2, every step computed by SQL in the database')
    .argument('[prompt]', 'the text to continue (default: standard input, without its final newline)');
  addWorkersFlag(addCompletionFlags(complete))
    .option('--engine <engine>', 'incremental: cached keys/values, one position per step; recompute: the whole text every step', 'incremental')
    .option('--json', 'print {model, prompt_tokens, tokens, text, seconds} instead of streaming the text')
    .addHelpText('after', `
Generation stops at <|endoftext|>, after --max-tokens, or when the context (n_ctx) is full
(with a notice on stderr); a prompt longer than the context is refused. Ctrl-C (or SIGTERM,
SIGHUP) stops after the current step and prints what was generated.
The defaults are deterministic: greedy (temperature 0); a sampling run is reproduced by its --seed.

Examples:
  $ gpt2sql complete "Happy New Year! I wish you"
  $ gpt2sql complete "Hello" -n 5 --temperature 0 --json
  $ gpt2sql complete "Once upon a time" --temperature 0.8 --top-k 40 --top-p 0.95 --seed 42
  $ echo "The meaning of life is" | gpt2sql complete --model distilgpt2`)
    .action(async (prompt: string | undefined, _options: unknown, command: Command) => {
      await withStopSignals(io, 'stopping after the current step', (signal) =>
        completeCommand(prompt, { ...command.optsWithGlobals<CompleteCommandOptions>(), signal }, io));
    });
}
