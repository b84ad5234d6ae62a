import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextCommand } from '../../src/cli/commands/next.ts';
import type { Candidate } from '../../src/engine/next.ts';
import { gpt2, softmax } from '../../src/reference/gpt2.ts';
import { testDatabases } from '../helpers/databases.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { expectClose } from '../helpers/numeric.ts';
import { runCli } from '../helpers/cli-process.ts';
import { runProgram } from '../helpers/run-program.ts';
import { CONFIGS, dropModel, loadTestModel, type LoadedModel } from '../engine/forward-models.ts';
import { cutTiktoken, SMALL_VOCAB } from '../helpers/small-vocab.ts';

/** The models here have the small vocabulary: its reference tokenizer. */
const tiktoken = cutTiktoken(SMALL_VOCAB);
/** The vector kernel's tolerance of test/engine/forward.test.ts (it covers the array kernel too). */
const TOLERANCE = 1e-5;

describe.each(testDatabases())('gpt2sql next on $driver', (target) => {
  let m: LoadedModel;
  let expectedLogits: Float64Array;
  const prompt = 'Happy New Year! I wish you';
  beforeAll(async () => {
    const db = await target.open();
    m = await loadTestModel(db, CONFIGS['2 blocks, 2 heads, 32 wide']);
    await db.close();
    expectedLogits = gpt2(m.weights, tiktoken.encode(prompt)).at(-1)!;
  });
  afterAll(async () => {
    const db = await target.open();
    await dropModel(db, m.model);
    await db.close();
  });

  /** The reference's top candidates at a temperature: ids by probability, then id. */
  function referenceTop(temperature: number, top: number): Array<{ id: number; probability: number }> {
    const probs = softmax(expectedLogits.map((l) => l / temperature));
    return Array.from(probs, (probability, id) => ({ id, probability }))
      .sort((a, b) => b.probability - a.probability || a.id - b.id).slice(0, top);
  }

  it('--json: the top candidates with raw logits and probabilities, as the reference computes them', async () => {
    const run = await runCli(['next', prompt, '--json', '--top', '5', '--temperature', '0.7', '--model', m.model.name, '--db', target.db]);
    expect(run.code).toBe(0);
    const candidates = JSON.parse(run.stdout) as Candidate[];
    const expected = referenceTop(0.7, 5);
    expect(candidates.map((c) => c.id)).toEqual(expected.map((c) => c.id));
    expectClose(candidates.map((c) => c.probability), expected.map((c) => c.probability), TOLERANCE, 'probabilities at temperature 0.7');
    expectClose(candidates.map((c) => c.logit), expected.map((c) => expectedLogits[c.id]), TOLERANCE, 'raw logits');
    expect(candidates.map((c) => c.token)).toEqual(expected.map((c) => tiktoken.decode([c.id])));
  });

  it('gives every token a probability, summing to 1', async () => {
    const candidates = await nextCommand(prompt, { model: m.model.name, db: target.db, top: '60000', json: true }, memoryIo());
    expect(candidates).toHaveLength(m.model.vocab_size);
    expectClose(candidates.reduce((sum, c) => sum + c.probability, 0), 1, 1e-12, 'sum of the probabilities');
  });

  it('at temperature 0 gives the greedy token probability 1', async () => {
    const candidates = await nextCommand(prompt, { model: m.model.name, db: target.db, top: '3', temperature: '0' }, memoryIo());
    expect(candidates.map((c) => c.probability)).toEqual([1, 0, 0]);
    expect(candidates[0].id).toBe(referenceTop(1, 1)[0].id);
  });

  it('prints a table by default, and reads standard input', async () => {
    const io = memoryIo(`${prompt}\n`);
    await nextCommand(undefined, { model: m.model.name, db: target.db, top: '3' }, io);
    const lines = io.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^rank\s+id\s+token\s+logit\s+probability$/);
    expect(lines).toHaveLength(2 + 3);
    const first = referenceTop(1, 1)[0];
    expect(lines[2]).toMatch(new RegExp(`^\\s*1\\s+${first.id}\\s+${JSON.stringify(tiktoken.decode([first.id])).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s`));
  });

  // The program's parsing and messages, run in this process: the executable is the first test's subject.
  it('--workers: the same candidates with any number; the embedded database says once that it has none', async () => {
    const args = ['next', prompt, '--json', '--top', '5', '--model', m.model.name, '--db', target.db];
    const plain = await runProgram(args);
    for (const workers of ['0', '2']) {
      const run = await runProgram([...args, '--workers', workers]);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(JSON.parse(plain.stdout));
      const notice = 'gpt2sql: --workers has no effect here: the embedded database runs in one process, without parallel workers';
      expect(run.stderr.split(notice).length - 1, run.stderr).toBe(target.driver === 'pglite' ? 1 : 0);
    }
    const bad = await runProgram([...args, '--workers', '-1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--workers must be an integer (>= 0|from 0 to \d+, the server's max_parallel_workers .*), got "-1"/);
    expect((await runProgram([...args, '--workers', 'many'])).stderr).toContain('--workers must be a number, got "many"');
  });

  it('refuses a bad --top or --temperature', async () => {
    const options = { model: m.model.name, db: target.db };
    await expect(nextCommand('Hi', { ...options, top: '0' }, memoryIo())).rejects.toThrow(/--top must be an integer >= 1/);
    await expect(nextCommand('Hi', { ...options, temperature: '-1' }, memoryIo())).rejects.toThrow(/--temperature must be 0 \(gives the most probable token probability 1\) or a number from 0.000001 to 1000000/);
  });
});
