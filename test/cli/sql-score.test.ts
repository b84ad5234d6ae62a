import { getEncoding } from 'js-tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreCommand, type ScoreResult } from '../../src/cli/commands/score.ts';
import { sqlCommand, type SqlCommandOptions } from '../../src/cli/commands/sql.ts';
import { testDatabases } from '../helpers/databases.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { expectClose } from '../helpers/numeric.ts';
import { connectPsql, psql, type Served } from '../helpers/psql.ts';
import { runCli } from '../helpers/cli-process.ts';
import { dropModel, loadTestModel, type LoadedModel } from '../engine/forward-models.ts';

const tiktoken = getEncoding('gpt2');
/** Longer than the model's context of 16 tokens: the script reads it in windows, as the command does. */
const TEXT = 'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness';
const FLAGS = { top: '2', stride: '5' };
/**
 * The script and the command run the same arithmetic in the same database, the script with the
 * blocks in a recursive CTE, the command also unrolled (with parallel workers on a server):
 * nothing but the order of the blocks' CTEs differs, so the values agree to float8's last bits.
 */
const TOLERANCE = 1e-12;
const numbers = (field: string) => (field === '{}' ? [] : field.slice(1, -1).split(',').map(Number));

/** The script is printed and the command's answer made first; psql runs it through `gpt2sql serve` on the embedded database. */
describe.each(testDatabases())('gpt2sql sql score | psql on $driver', (target) => {
  let m: LoadedModel;
  let options: SqlCommandOptions & { db: string; model: string };
  let served: Served | undefined;
  let script = '';
  let answer: ScoreResult;
  let single = '';
  beforeAll(async () => {
    const db = await target.open();
    m = await loadTestModel(db, { n_layer: 2, n_head: 2, n_embd: 16, n_ctx: 16, seed: 23 });
    await db.close();
    options = { db: target.db, model: m.model.name };
    const printed = await runCli(['sql', 'score', TEXT, '--top', FLAGS.top, '--stride', FLAGS.stride, '--model', m.model.name, '--db', target.db]);
    expect(printed.stderr).toBe('');
    script = printed.stdout;
    answer = await scoreCommand(TEXT, { ...options, ...FLAGS, json: true }, memoryIo());
    const io = memoryIo();
    await sqlCommand('score', 'Hi', options, io);
    single = io.stdout;
  });
  afterAll(async () => {
    await served?.stop();
    const db = await target.open();
    await dropModel(db, m.model).finally(() => db.close());
  });

  it('checks the text and the flags as `score` does, before printing anything', async () => {
    const refused = async (text: string, flags: Partial<SqlCommandOptions>, message: RegExp | string) => {
      const io = memoryIo();
      await expect(sqlCommand('score', text, { ...options, ...flags }, io)).rejects.toThrow(message);
      expect(io.stdout).toBe('');
    };
    await refused(TEXT, { stride: '17' }, '--stride must be an integer from 1 to the model\'s context, n_ctx = 16, got "17"');
    await refused(TEXT, { top: '-2' }, '--top must be an integer >= 0');
    await refused('', {}, /the prompt is empty/);
  });

  it('prints one statement whose rows are the tokens, logprobs, alternatives and perplexity of `score`', async () => {
    expect(script).toMatch(/^-- gpt2sql sql score: the log-probabilities `gpt2sql score --top 2 --stride 5` gives/);
    const code = script.split('\n').filter((line) => !line.trimStart().startsWith('--'));
    expect(code.filter((line) => line.endsWith(';'))).toHaveLength(4); // SET client_encoding, search_path, jit; one statement
    const rows = await psql((served ??= await connectPsql(target)).connection, script);
    const ids = tiktoken.encode(TEXT, [], []);
    expect(ids.length).toBeGreaterThan(16);
    expect(rows.map(([position, id]) => [Number(position), Number(id)])).toEqual(ids.map((id, i) => [i, id]));
    expect(rows.map((row) => row[2])).toEqual(answer.tokens.map((t) => t.text));
    expect(rows.map((row) => row[3] === '')).toEqual(answer.tokens.map((t) => t.logprob === null));
    expectClose(rows.slice(1).map((row) => Number(row[3])), answer.tokens.slice(1).map((t) => t.logprob!), TOLERANCE, 'logprobs');
    expect(rows.map((row) => numbers(row[4]))).toEqual(answer.tokens.map((t) => t.top.map((a) => a.id)));
    expectClose(rows.flatMap((row) => numbers(row[5])), answer.tokens.flatMap((t) => t.top.map((a) => a.logprob!)), TOLERANCE, 'top logprobs');
    for (const row of rows) expectClose(Number(row[6]), answer.perplexity!, answer.perplexity! * TOLERANCE, 'perplexity');
  });

  it('a text of one token: no logprob, no perplexity', async () => {
    const rows = await psql((served ??= await connectPsql(target)).connection, single);
    expect(rows).toEqual([['0', String(tiktoken.encode('Hi')[0]), 'Hi', '', '{}', '{}', '']]);
  });
});
