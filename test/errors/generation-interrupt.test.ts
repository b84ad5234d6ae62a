// Interrupted generation: Ctrl-C, SIGTERM or SIGHUP during `complete` stops
// after the step running when it arrives, prints what was generated, exits 128 + the signal's
// number, and leaves no session or cache rows behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeCommand, type CompleteResult } from '../../src/cli/commands/complete.ts';
import { StopSignalReceived } from '../../src/cli/signals.ts';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { startCli } from '../helpers/cli-process.ts';
import { testDatabases } from '../helpers/databases.ts';
import type { LoadedModel } from '../helpers/loaded-model.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { cleanUp, encode, greedyTokens, loadOn, referenceTokens, sessionRows, tiktoken, SMALL_VOCAB } from './generation-state.ts';

const SIZE = { n_layer: 1, n_head: 1, n_embd: 8, n_ctx: 64, vocab_size: SMALL_VOCAB, seed: 72 };
const PROMPT = 'The'; // one token in the small vocabulary
const MAX_TOKENS = SIZE.n_ctx - 1;

/** How many of `tokens` the streamed text `seen` shows whole (the prompt first). */
function tokensShown(seen: string, tokens: number[]): number {
  let count = 0;
  while (count < tokens.length && seen.startsWith(PROMPT + tiktoken.decode(tokens.slice(0, count + 1)))) count++;
  return count;
}

/** On a server, while the run generates: its session, and how many cache rows it has. */
async function liveSession(db: string, model: ModelRow): Promise<{ session: number; cached: number }> {
  const database = await openDatabase({ db });
  try {
    const [row] = await database.query<{ session: string; cached: number }>(
      `SELECT s.session, (SELECT count(*)::int FROM ${quoteIdent(model.schema_name)}.kv_cache AS c WHERE c.session = s.session) AS cached
       FROM gpt2sql.sessions AS s WHERE s.model = $1`, [model.name]);
    return { session: Number(row.session), cached: row.cached };
  } finally {
    await database.close();
  }
}

/** The signals that stop a command, the exit code after each (128 + its number), and how the notice names it. */
const SIGNALS = [['SIGINT', 130, 'Ctrl-C'], ['SIGTERM', 143, 'SIGTERM'], ['SIGHUP', 129, 'SIGHUP']] as const;

describe.each(testDatabases())('a signal during generation on $driver', (target) => {
  let m: LoadedModel;
  let full: number[];
  beforeAll(async () => {
    m = await loadOn(target, 'gen_int', SIZE);
    full = referenceTokens(m, PROMPT, { maxTokens: MAX_TOKENS });
    expect(full).toHaveLength(MAX_TOKENS); // a run that ignored Ctrl-C would print all of them
    expect(tiktoken.decode(full)).not.toContain('\uFFFD'); // every prefix of the text is whole tokens
  });
  afterAll(() => cleanUp(target, m));

  it.each(SIGNALS)('%s: stops after the current step, prints the tokens so far, exits %i and removes its session', async (signal, code, again) => {
    const run = startCli(['complete', PROMPT, '-n', String(MAX_TOKENS), '--model', m.model.name, '--db', target.db]);
    await run.until((stdout) => stdout.length > PROMPT.length);
    const live = target.driver === 'postgres' ? await liveSession(target.db, m.model) : undefined;
    const shown = tokensShown(run.stdout, full);
    const sent = performance.now();
    run.kill(signal);
    const ending = await run.ended;

    const lines = ending.stderr.split('\n').filter((line) => line !== '');
    expect(lines, ending.stderr).toHaveLength(2);
    expect(lines[0]).toBe(`gpt2sql: stopping after the current step (${again} again to quit at once)`);
    const interrupted = new RegExp(`^gpt2sql: interrupted by ${signal} after (\\d+) new tokens?; the text generated so far was printed$`);
    expect(lines[1]).toMatch(interrupted);
    const [, count] = interrupted.exec(lines[1])!;
    expect(ending.code).toBe(code);
    expect(ending.stdout).toBe(`${PROMPT}${tiktoken.decode(full.slice(0, Number(count)))}\n`);
    // At once: the step running when the signal arrived, and one more that may have begun before it did.
    expect(Number(count) - shown).toBeLessThanOrEqual(2);
    expect(Number(count)).toBeLessThan(MAX_TOKENS);
    expect(ending.at - sent).toBeLessThan(5_000);

    expect(await sessionRows(target.db, m.model.name)).toEqual({ sessions: 0, kvCache: 0 });
    if (live) {
      expect(live.cached).toBeGreaterThan(0); // the rows the run removed did exist
      const database = await openDatabase({ db: target.db });
      const [left] = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteIdent(m.model.schema_name)}.kv_cache WHERE session = $1`, [live.session])
        .finally(() => database.close());
      expect(left.n).toBe(0);
    }
    expect(await greedyTokens(target.db, m.model.name, PROMPT)).toEqual(full.slice(0, 5)); // the database still works
  });

  it('with --json prints the result so far as JSON before the one-line error', async () => {
    const io = memoryIo();
    const signal = AbortSignal.abort(new StopSignalReceived('SIGTERM')); // as the CLI's when SIGTERM comes before the first step
    const options = { model: m.model.name, db: target.db, maxTokens: '5', json: true, signal };
    await expect(completeCommand(PROMPT, options, io)).rejects.toMatchObject({
      message: 'interrupted by SIGTERM after 0 new tokens; the text generated so far was printed',
      exitCode: 143,
    });
    const printed = JSON.parse(io.stdout) as CompleteResult;
    expect(printed).toMatchObject({ model: m.model.name, prompt_tokens: encode(PROMPT), tokens: [], text: '' });
    expect(await sessionRows(target.db, m.model.name)).toEqual({ sessions: 0, kvCache: 0 });
  });
});
