import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeCommand, type CompleteResult } from '../../src/cli/commands/complete.ts';
import type { Io } from '../../src/cli/io.ts';
import { generate as referenceGenerate } from '../../src/reference/generate.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { freshPgliteDir, testDatabases } from '../helpers/databases.ts';
import { startFakeHub } from '../helpers/fake-hub.ts';
import { runCli, startCli, type CliResult } from '../helpers/cli-process.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { checkedGeneration } from '../helpers/sampled.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { CONFIGS, dropModel, loadTestModel, type LoadedModel } from '../engine/forward-models.ts';
import { cutTiktoken, SMALL_VOCAB } from '../helpers/small-vocab.ts';

/** The models here have the small vocabulary: its reference tokenizer. */
const tiktoken = cutTiktoken(SMALL_VOCAB);

/** An Io that also keeps each write to stdout separately, to see the streaming. */
function chunkedIo(stdin = ''): Io & { stdout: string; stderr: string; chunks: string[] } {
  const io = memoryIo(stdin);
  const chunks: string[] = [];
  return Object.assign(io, { chunks, out: (text: string) => { chunks.push(text); io.stdout += text; } });
}

/** Runs the real executable and sends it SIGINT once `ready` says its output so far shows it is generating. */
async function interruptCli(args: string[], ready: (stdout: string) => boolean): Promise<CliResult> {
  const run = startCli(args);
  await run.until(ready);
  run.kill('SIGINT');
  return run.ended;
}

describe.each(testDatabases())('gpt2sql complete on $driver', (target) => {
  let m: LoadedModel;
  beforeAll(async () => {
    const db = await target.open();
    m = await loadTestModel(db, CONFIGS['2 blocks, 2 heads, 32 wide']);
    await db.close();
  });
  afterAll(async () => {
    const db = await target.open();
    await dropModel(db, m.model);
    await db.close();
  });

  it('prints the same tokens as the reference: complete "Hello" -n 5 --temperature 0 --json', async () => {
    const run = await runCli(['complete', 'Hello', '-n', '5', '--temperature', '0', '--json', '--model', m.model.name, '--db', target.db]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as CompleteResult;
    expect(result.prompt_tokens).toEqual(tiktoken.encode('Hello'));
    expect(result.tokens).toEqual(referenceGenerate(m.weights, result.prompt_tokens, { maxTokens: 5, eotId: m.eotId }));
    expect(result).toMatchObject({ model: m.model.name, text: tiktoken.decode(result.tokens) });
    expect(result.seconds).toBeGreaterThan(0);
  });

  it('takes --min-p, --presence-penalty and --frequency-penalty, generating as the reference does', async () => {
    const flags = ['--temperature', '0.9', '--seed', '5', '--min-p', '0.05', '--presence-penalty', '1.5', '--frequency-penalty', '0.5'];
    const run = await runCli(['complete', 'Hello', '-n', '6', ...flags, '--json', '--model', m.model.name, '--db', target.db]);
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as CompleteResult;
    const options = { maxTokens: 6, eotId: m.eotId, temperature: 0.9, seed: 5, minP: 0.05, presencePenalty: 1.5, frequencyPenalty: 0.5 };
    expect(result.tokens).toEqual(referenceGenerate(m.weights, result.prompt_tokens, options));
  });

  it('prints the prompt, then streams each new token as it is chosen', async () => {
    const io = chunkedIo();
    const options = { model: m.model.name, db: target.db, maxTokens: '6', temperature: '0.9', seed: '3' };
    const result = await completeCommand('Hello, world', options, io);
    const db = await target.open();
    const tokens = await checkedGeneration(db, m.model, m.weights, tiktoken.encode('Hello, world'), { maxTokens: 6, temperature: 0.9, seed: 3 }).finally(() => db.close());
    expect(result.tokens).toEqual(tokens);
    expect(io.stdout).toBe(`Hello, world${tiktoken.decode(tokens)}\n`);
    expect(io.chunks[0]).toBe('Hello, world');
    expect(io.chunks.filter((chunk) => chunk !== '').length).toBeGreaterThanOrEqual(1 + 3); // the prompt, tokens one by one
  });

  it('prints a character whose bytes are split across tokens whole, once its last byte arrives', async () => {
    const options = { maxTokens: 3, temperature: 1, seed: 11 };
    const db = await target.open();
    const tokens = await checkedGeneration(db, m.model, m.weights, tiktoken.encode('Hello'), options);
    expect(new Set(tokens).size).toBe(3);
    const saved = await db.query<{ token: number; bytes: Uint8Array }>(`SELECT token, bytes FROM ${quoteIdent(m.model.schema_name)}.vocab WHERE token = ANY($1)`, [tokens]);
    try { // this test model's tokens now spell "€" (E2 82 AC) split 2 + 1, then "!"
      for (const [token, bytes] of [[tokens[0], [0xe2, 0x82]], [tokens[1], [0xac]], [tokens[2], [0x21]]] as const) {
        await db.query(`UPDATE ${quoteIdent(m.model.schema_name)}.vocab SET bytes = $2 WHERE token = $1`, [token, Uint8Array.from(bytes)]);
      }
      await db.close();
      const io = chunkedIo();
      const result = await completeCommand('Hello', { model: m.model.name, db: target.db, maxTokens: '3', temperature: '1', seed: '11' }, io);
      expect(result.tokens).toEqual(tokens);
      expect(io.stdout).toBe('Hello€!\n');
      expect(io.chunks.join('')).not.toContain('\uFFFD');
    } finally {
      const again = await target.open();
      for (const row of saved) await again.query(`UPDATE ${quoteIdent(m.model.schema_name)}.vocab SET bytes = $2 WHERE token = $1`, [row.token, Uint8Array.from(row.bytes)]);
      await again.close();
    }
  });

  it('reads the prompt from standard input, without its final newline', async () => {
    const fromStdin = await completeCommand(undefined, { model: m.model.name, db: target.db, maxTokens: '3', json: true }, memoryIo('Hello\n'));
    const fromArgument = await completeCommand('Hello', { model: m.model.name, db: target.db, maxTokens: '3', json: true }, memoryIo());
    expect(fromStdin.tokens).toEqual(fromArgument.tokens);
    expect(fromStdin.prompt_tokens).toEqual(tiktoken.encode('Hello'));
  });

  it('says on stderr when the context is full before --max-tokens', async () => {
    const io = memoryIo();
    const prompt = ' the'.repeat(m.model.n_ctx - 2); // one token each
    const result = await completeCommand(prompt, { model: m.model.name, db: target.db, maxTokens: '10', json: true }, io);
    expect(result.tokens).toHaveLength(2);
    expect(io.stderr).toContain(`stopped after 2 new tokens: the prompt (${m.model.n_ctx - 2} tokens) and the new ones fill model ${m.model.name}'s context of n_ctx = ${m.model.n_ctx} tokens`);
  });

  it('on Ctrl-C stops after the current step and removes its session', async () => {
    const run = await interruptCli(['complete', 'Hello', '-n', '100', '--model', m.model.name, '--db', target.db], (out) => out.length > 'Hello'.length);
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('stopping after the current step');
    expect(run.stderr).toMatch(/gpt2sql: interrupted by SIGINT after \d+ new tokens?/);
    const db = await target.open();
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM gpt2sql.sessions WHERE model = $1', [m.model.name]);
    await db.close();
    expect(n).toBe(0);
  });

  it('refuses bad options with one line, before running the model', async () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['', {}, /the prompt is empty/],
      ['Hi', { temperature: 'hot' }, /--temperature must be a number, got "hot"/],
      ['Hi', { temperature: '-1' }, /--temperature must be 0 .* or a number from 0.000001 to 1000000, got "-1"/],
      ['Hi', { topP: '1.5' }, /--top-p must be a number in \(0, 1\]/],
      ['Hi', { topK: '-1' }, /--top-k must be an integer >= 0/],
      ['Hi', { minP: '2' }, /--min-p must be a number in \[0, 1\]/],
      ['Hi', { frequencyPenalty: '-3' }, /--frequency-penalty must be a number from -2 to 2, got "-3"/],
      ['Hi', { maxTokens: '2.5' }, /--max-tokens must be an integer >= 0/],
      ['Hi', { engine: 'fast' }, /--engine must be incremental or recompute/],
      [' the'.repeat(200), {}, /the prompt has 200 tokens but model .* reads at most n_ctx = 128; shorten it/],
    ];
    for (const [prompt, options, message] of cases) {
      await expect(completeCommand(prompt, { model: m.model.name, db: target.db, ...options }, memoryIo())).rejects.toThrow(message);
    }
    const run = await runCli(['complete', 'Hi', '--top-p', '0', '--model', m.model.name, '--db', target.db]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('gpt2sql: --top-p must be a number in (0, 1] (1 keeps every token), got "0"\n');
  });
});

describe('gpt2sql complete on a first run', () => {
  it('loads the default model gpt2 from the hub first, then completes', async () => {
    const hub = await startFakeHub({ repos: { gpt2: await tinyCheckpoint({ n_layer: 1, n_head: 1, n_embd: 8, vocab_size: SMALL_VOCAB, seed: 31 }) } });
    try {
      const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: join(mkdtempSync(join(tmpdir(), 'gpt2sql-hf-')), 'hub') };
      const run = await runCli(['complete', 'Hello', '-n', '2', '--json', '--db', freshPgliteDir()], { env });
      expect(run.stderr).toContain('model gpt2 is not loaded yet; loading it from the Hugging Face hub first');
      expect(run.stderr).toContain('loaded gpt2');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ model: 'gpt2', prompt_tokens: tiktoken.encode('Hello') });
    } finally {
      await hub.close();
    }
  });

  it('fails fast offline, saying how to load a checkpoint from disk', async () => {
    const env = { HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_CACHE: join(mkdtempSync(join(tmpdir(), 'gpt2sql-hf-')), 'hub') };
    const started = Date.now();
    const run = await runCli(['complete', 'Hello', '--db', freshPgliteDir()], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^gpt2sql: cannot reach the Hugging Face hub .*local checkpoint directory; to use a checkpoint on disk instead: gpt2sql load DIR --as gpt2 /m);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
