import type { Command } from 'commander';
import type { ScoredToken, Scoring, TokenLogprob } from '../../api/api-types.ts';
import { tokenText } from '../../engine/token-text.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { withModel } from '../model-access.ts';
import { addScoreFlags, addWorkersFlag, buffersNotice, scoreFlags, workersFlag, workersNotice, type OptionFlags } from '../option-flags.ts';
import { readPrompt } from '../prompt-input.ts';
import { interruptedError, withStopSignals } from '../signals.ts';
import { formatTable } from '../table.ts';

export interface ScoreCommandOptions extends GlobalOptions, Pick<OptionFlags, 'top' | 'stride' | 'workers'> {
  json?: boolean;
}

/** A token as `score --json` prints it: its text (U+FFFD where its bytes are part of a character) and its bytes. */
export interface TokenJson {
  id: number;
  text: string;
  bytes: number[];
  logprob: number | null;
}

/** What `score --json` prints. */
export interface ScoreResult {
  model: string;
  tokens: Array<TokenJson & { top: TokenJson[] }>;
  /** exp(-mean logprob) of the tokens scored; null when none is. */
  perplexity: number | null;
  /** How many tokens have a logprob. */
  scored: number;
  windows: number;
  stride: number;
  n_ctx: number;
}

/**
 * `gpt2sql score [TEXT|-]`: each token of the text with its log-probability after the ones
 * before it, then the perplexity; a table, or (--json) one object. A text longer than the
 * model's context is read in windows (--stride).
 */
export async function scoreCommand(text: string | undefined, options: ScoreCommandOptions, io: Io): Promise<ScoreResult> {
  const prompt = await readPrompt(text === '-' ? undefined : text, io);
  scoreFlags({ top: options.top }, 1); // --top before any database opens; the stride's bound needs the model's n_ctx
  const workers = workersFlag(options);
  return withModel(options, io, async (gpt2, model) => {
    const { top, stride } = scoreFlags(options, model.n_ctx);
    await workersNotice(gpt2, workers, io);
    await buffersNotice(gpt2, model, io);
    const scoring = await gpt2.score(prompt, { model: model.name, top, stride, workers, signal: options.signal }).catch((error: unknown) => {
      throw options.signal?.aborted ? interruptedError(options.signal, ': nothing was printed; the database is unchanged') : error;
    });
    if (options.signal?.aborted) throw interruptedError(options.signal, ': nothing was printed; the database is unchanged');
    const result = scoreResult(model.name, model.n_ctx, scoring);
    io.out(options.json ? `${JSON.stringify(result)}\n` : formatScoring(result, top > 0));
    return result;
  });
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function tokenJson(token: Omit<ScoredToken, 'top'> | TokenLogprob): TokenJson {
  return { id: token.id, text: tokenText(token.bytes), bytes: Array.from(token.bytes), logprob: token.logprob };
}

function scoreResult(model: string, nCtx: number, scoring: Scoring): ScoreResult {
  const tokens = scoring.tokens.map((token) => ({ ...tokenJson(token), top: token.top.map(tokenJson) }));
  return { model, tokens, perplexity: scoring.perplexity, scored: scoring.scored, windows: scoring.windows, stride: scoring.stride, n_ctx: nCtx };
}

/**
 * A token's text quoted as JSON quotes it (spaces and newlines show), or, when its bytes are only
 * part of a UTF-8 character, those bytes written \xHH.
 *
 * @example
 * readableToken(Uint8Array.of(32, 119)); // '" w"'
 * readableToken(Uint8Array.of(0xe2, 0x80)); // '"\\xe2\\x80"'
 */
export function readableToken(bytes: Uint8Array): string {
  try {
    return JSON.stringify(STRICT_UTF8.decode(bytes));
  } catch {
    const escaped = Array.from(bytes, (b) => (b < 0x80 ? JSON.stringify(String.fromCharCode(b)).slice(1, -1) : `\\x${b.toString(16).padStart(2, '0')}`));
    return `"${escaped.join('')}"`;
  }
}

const logprobText = (logprob: number | null) => (logprob === null ? '' : logprob.toFixed(4));

/** The table view: place, id, the token quoted, its logprob (and the top alternatives); then the totals. */
function formatScoring(result: ScoreResult, withTop: boolean): string {
  const width = Math.max(...result.tokens.map((token) => logprobText(token.logprob).length));
  const rows = result.tokens.map((token, place) => {
    const row: Array<string | number> = [place, token.id, readableToken(Uint8Array.from(token.bytes)), logprobText(token.logprob).padStart(width)];
    if (withTop) row.push(token.top.map((a) => `${readableToken(Uint8Array.from(a.bytes))} ${logprobText(a.logprob)}`).join(', '));
    return row;
  });
  const table = formatTable(['place', 'id', 'token', 'logprob', ...(withTop ? ['top'] : [])], rows);
  return `${table}\n${totals(result)}`;
}

function totals({ tokens, scored, windows, stride, n_ctx, perplexity }: ScoreResult): string {
  const how = windows > 1 ? `, in ${windows} windows of n_ctx = ${n_ctx} tokens, stride ${stride}` : '';
  const unscored = tokens.length - scored === 1 ? 'the first has nothing before it' : `${tokens.length - scored} have nothing before them in their window`;
  const count = `tokens: ${tokens.length} (${scored} scored${how}; ${unscored})`;
  return `${count}\nperplexity: ${perplexity === null ? 'none (no token has one before it)' : perplexity.toFixed(4)}\n`;
}

export function registerScore(program: Command, io: Io): void {
  const score = program
    .command('score')
    .description('how probable GPT-2 finds a text: each token\'s log-probability after the ones before it, and the perplexity')
    .argument('[text]', 'the text; - or none: standard input, without its final newline');
  addWorkersFlag(addScoreFlags(score))
    .option('--json', 'print {model, tokens: [{id, text, bytes, logprob, top}], perplexity, scored, windows, stride, n_ctx}')
    .addHelpText('after', `
A token's logprob is ln p(token | the tokens before it), under the model's own distribution; the
first token has none (nothing comes before it). The perplexity is exp(-mean logprob). A text
longer than the model's context (n_ctx tokens) is read as Hugging Face's "Perplexity of
fixed-length models" reads it: windows of n_ctx tokens, each starting --stride tokens after the
one before, each token scored by the first window that reaches it. A smaller stride gives each
token more context and costs more windows; with --stride n_ctx the windows do not overlap and
the first token of each is not scored. Ctrl-C (or SIGTERM, SIGHUP) stops after the current
window, without printing.

Examples:
  $ gpt2sql score "The quick brown fox jumps over the lazy dog"
  $ gpt2sql score "Hello, world" --top 3 --json
  $ gpt2sql score - --stride 256 < essay.txt`)
    .action(async (text: string | undefined, _options: unknown, command: Command) => {
      await withStopSignals(io, 'stopping after the current window', (signal) =>
        scoreCommand(text, { ...command.optsWithGlobals<ScoreCommandOptions>(), signal }, io));
    });
}
