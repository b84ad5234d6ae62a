import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readableToken, scoreCommand, type ScoreResult } from '../../src/cli/commands/score.ts';
import { gpt2 } from '../../src/reference/gpt2.ts';
import { testDatabases } from '../helpers/databases.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { expectClose } from '../helpers/numeric.ts';
import { runCli, startCli } from '../helpers/cli-process.ts';
import { dropModel, loadTestModel, type LoadedModel } from '../engine/forward-models.ts';
import { cutTiktoken, SMALL_VOCAB } from '../helpers/small-vocab.ts';

/** The model has the small vocabulary (the subject is scoring): its reference tokenizer. */
const tiktoken = cutTiktoken(SMALL_VOCAB);
const encode = (text: string) => tiktoken.encode(text, [], []);
/** The vector kernel's tolerance of test/engine/forward.test.ts (it covers the others too); see test/engine/score.test.ts. */
const TOLERANCE = 1e-5;
/** n_ctx 16: PROMPT fits, LONG needs windows. */
const CONFIG = { n_layer: 2, n_head: 2, n_embd: 16, n_ctx: 16, vocab_size: SMALL_VOCAB, seed: 23 };
const PROMPT = 'The cat and the dog are in the house'; // 13 tokens of the small vocabulary
const LONG = 'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity';

/** The reference's logprob of each token after the ones before it (the text fits the context), and the top ids before each. */
function reference(m: LoadedModel, ids: number[], top: number): Array<{ logprob: number | null; top: number[] }> {
  const logits = gpt2(m.weights, ids);
  return ids.map((id, i) => {
    if (i === 0) return { logprob: null, top: [] };
    const at = logits[i - 1];
    const max = at.reduce((a, b) => Math.max(a, b), -Infinity);
    const lse = max + Math.log(at.reduce((sum, l) => sum + Math.exp(l - max), 0));
    const ranked = Array.from(at, (_, token) => token).sort((a, b) => at[b] - at[a] || a - b);
    return { logprob: at[id] - lse, top: ranked.slice(0, top) };
  });
}

describe('readableToken', () => {
  it('quotes a token\'s text as JSON does, and writes the bytes of part of a character as \\xHH', () => {
    expect(readableToken(Uint8Array.of(32, 119, 10))).toBe('" w\\n"');
    expect(readableToken(Uint8Array.of(0x22, 0xe2, 0x80))).toBe('"\\"\\xe2\\x80"');
    expect(readableToken(new TextEncoder().encode('é'))).toBe('"é"');
  });
});

describe.each(testDatabases())('gpt2sql score on $driver', (target) => {
  let m: LoadedModel;
  let options: { db: string; model: string };
  beforeAll(async () => {
    const db = await target.open();
    m = await loadTestModel(db, CONFIG);
    await db.close();
    options = { db: target.db, model: m.model.name };
  });
  afterAll(async () => {
    const db = await target.open();
    await dropModel(db, m.model);
    await db.close();
  });

  it('--json: every token with its text, bytes, logprob and top alternatives, and the perplexity, as the reference computes them', async () => {
    const run = await runCli(['score', PROMPT, '--json', '--top', '3', '--model', m.model.name, '--db', target.db]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as ScoreResult;
    const ids = encode(PROMPT);
    const expected = reference(m, ids, 3);
    expect(result).toMatchObject({ model: m.model.name, scored: ids.length - 1, windows: 1, stride: 8, n_ctx: 16 });
    expect(result.tokens.map((t) => t.id)).toEqual(ids);
    expect(result.tokens.map((t) => t.text)).toEqual(ids.map((id) => tiktoken.decode([id])));
    expect(result.tokens[0]).toMatchObject({ logprob: null, top: [] });
    expectClose(result.tokens.slice(1).map((t) => t.logprob!), expected.slice(1).map((e) => e.logprob!), TOLERANCE, 'logprobs');
    expect(result.tokens.map((t) => t.top.map((a) => a.id))).toEqual(expected.map((e) => e.top));
    expect(result.tokens[1].top[0].text).toBe(tiktoken.decode([expected[1].top[0]]));
    const mean = expected.slice(1).reduce((sum, e) => sum + e.logprob!, 0) / (ids.length - 1);
    expectClose(result.perplexity!, Math.exp(-mean), Math.exp(-mean) * TOLERANCE, 'perplexity');
  });

  it('prints a table of the tokens, then the token count and the perplexity; - reads standard input', async () => {
    const io = memoryIo(`${PROMPT}\n`);
    const result = await scoreCommand('-', options, io);
    const lines = io.stdout.trimEnd().split('\n');
    const ids = encode(PROMPT);
    expect(lines[0]).toMatch(/^place\s+id\s+token\s+logprob$/);
    expect(lines).toHaveLength(2 + ids.length + 3);
    expect(lines[2]).toMatch(/^\s+0\s+464\s+"The"$/); // the first token: no logprob
    expect(lines[3]).toMatch(new RegExp(`^\\s+1\\s+${ids[1]}\\s+" c"\\s+${result.tokens[1].logprob!.toFixed(4)}$`)); // ' cat' is ' c' + 'at' in the small vocabulary
    expect(lines.at(-2)).toBe(`tokens: ${ids.length} (${ids.length - 1} scored; the first has nothing before it)`);
    expect(lines.at(-1)).toBe(`perplexity: ${result.perplexity!.toFixed(4)}`);
  });

  it('--top adds the most probable tokens at each place', async () => {
    const io = memoryIo();
    const result = await scoreCommand(PROMPT, { ...options, top: '2' }, io);
    const lines = io.stdout.split('\n');
    expect(lines[0]).toMatch(/^place\s+id\s+token\s+logprob\s+top$/);
    const [first, second] = result.tokens[1].top;
    expect(lines[3]).toContain(`${JSON.stringify(first.text)} ${first.logprob!.toFixed(4)}, ${JSON.stringify(second.text)} ${second.logprob!.toFixed(4)}`);
  });

  it('reads a text longer than the context in windows of --stride, and says so', async () => {
    const ids = encode(LONG);
    expect(ids.length).toBeGreaterThan(2 * CONFIG.n_ctx);
    const io = memoryIo();
    const result = await scoreCommand(LONG, { ...options, stride: '5', json: true }, io);
    const windows = Math.ceil((ids.length - CONFIG.n_ctx) / 5) + 1;
    expect(result).toMatchObject({ scored: ids.length - 1, windows, stride: 5 });
    // The last token, scored by the last window, which starts where the text's last n_ctx tokens do.
    const lastWindow = ids.slice((windows - 1) * 5);
    expectClose(result.tokens.at(-1)!.logprob!, reference(m, lastWindow, 0).at(-1)!.logprob!, TOLERANCE, 'the last token\'s logprob');
    const table = memoryIo();
    await scoreCommand(LONG, { ...options, stride: '16' }, table);
    const unscored = Math.ceil(ids.length / 16);
    expect(table.stdout).toContain(`tokens: ${ids.length} (${ids.length - unscored} scored, in ${unscored} windows of n_ctx = 16 tokens, stride 16; ${unscored} have nothing before them in their window)`);
  });

  // On the embedded database, --workers's notice says the command runs with its signal handlers
  // set: the moment to send Ctrl-C. (A server prints nothing before the scores; its Ctrl-C path is
  // the one test/errors/interrupted-commands.test.ts checks for the other commands.)
  if (target.driver === 'pglite') it('Ctrl-C stops after the window running, printing nothing', async () => {
    const run = startCli(['score', LONG, '--stride', '1', '--workers', '0', '--model', m.model.name, '--db', target.db]);
    await run.until((_, stderr) => stderr.includes('--workers has no effect here'));
    run.kill('SIGINT');
    const ended = await run.ended;
    expect(ended.code).toBe(130);
    expect(ended.stdout).toBe('');
    expect(ended.stderr).toContain('gpt2sql: stopping after the current window (Ctrl-C again to quit at once)');
    expect(ended.stderr).toContain('interrupted by SIGINT: nothing was printed; the database is unchanged');
  });

  it('refuses bad flags by their name, and an empty text, before scoring', async () => {
    const args = ['score', PROMPT, '--model', m.model.name, '--db', target.db];
    const stride = await runCli([...args, '--stride', '17']);
    expect(stride.code).toBe(1);
    expect(stride.stderr).toContain('--stride must be an integer from 1 to the model\'s context, n_ctx = 16, got "17"');
    expect(stride.stdout).toBe('');
    await expect(scoreCommand(PROMPT, { ...options, stride: '0' }, memoryIo())).rejects.toThrow(/--stride must be an integer from 1 to the model's context, n_ctx = 16, got "0"/);
    await expect(scoreCommand(PROMPT, { ...options, stride: 'half' }, memoryIo())).rejects.toThrow('--stride must be a number, got "half"');
    await expect(scoreCommand(PROMPT, { ...options, top: '-1' }, memoryIo())).rejects.toThrow('--top must be an integer >= 0 (0 shows no alternatives), got "-1"');
    await expect(scoreCommand('', options, memoryIo())).rejects.toThrow(/the prompt is empty/);
  });
});
