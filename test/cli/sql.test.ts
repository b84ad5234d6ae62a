import { getEncoding } from 'js-tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeCommand } from '../../src/cli/commands/complete.ts';
import { nextCommand } from '../../src/cli/commands/next.ts';
import { sqlCommand, type SqlCommandOptions } from '../../src/cli/commands/sql.ts';
import { tokenizeCommand } from '../../src/cli/commands/tokenize.ts';
import { memoryIo } from '../../src/cli/io.ts';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import { maskSql } from '../../src/sql/sql-text.ts';
import { testDatabases } from '../helpers/databases.ts';
import { HOSTILE_PROMPTS } from '../helpers/hostile-prompts.ts';
import { dropModel, loadGeneratedModel } from '../helpers/loaded-model.ts';
import { connectPsql, psql, type Served } from '../helpers/psql.ts';
import { runCli } from '../helpers/run-cli.ts';

const tiktoken = getEncoding('gpt2');
const encode = (text: string) => tiktoken.encode(text, [], []);
const intArray = (field: string) => (field === '{}' ? [] : field.slice(1, -1).split(',').map(Number));

/** A script printed by the command function itself (the executable is run once per database below). */
async function script(name: 'tokenize' | 'next' | 'complete', prompt: string, options: SqlCommandOptions): Promise<string> {
  const io = memoryIo();
  await sqlCommand(name, prompt, options, io);
  return io.stdout;
}

describe.each(testDatabases())('gpt2sql sql | psql on $driver', (target) => {
  let model: ModelRow;
  let options: { db: string; model: string };

  beforeAll(async () => {
    const db = await target.open();
    try {
      ({ model } = await loadGeneratedModel(db, 'sql_cli', { n_layer: 2, n_head: 2, n_embd: 16, n_ctx: 24, seed: 41 }));
    } finally {
      await db.close();
    }
    options = { db: target.db, model: model.name };
  });
  afterAll(async () => {
    const db = await target.open();
    await dropModel(db, model).finally(() => db.close());
  });

  /** Scripts and the commands' answers first: serve holds the embedded database while psql runs. */
  async function withPsql<T>(fn: (served: Served) => Promise<T>): Promise<T> {
    const served = await connectPsql(target);
    try {
      return await fn(served);
    } finally {
      await served.stop();
    }
  }

  it('the executable prints a complete script whose one statement gives the tokens `complete` prints', async () => {
    const args = ['Hello, world', '-n', '4', '--temperature', '0.8', '--top-k', '30', '--seed', '3', '--model', model.name, '--db', target.db];
    const printed = await runCli(['sql', 'complete', ...args]);
    expect(printed.stderr).toBe('');
    expect(printed.stdout).toMatch(/^-- gpt2sql sql complete/);
    expect(maskSql(printed.stdout).match(/;/g)).toHaveLength(3); // SET search_path; SET jit; one statement
    const cli = JSON.parse((await runCli(['complete', '--json', ...args])).stdout);
    const [[promptTokens, tokens, text, stop]] = await withPsql(({ connection }) => psql(connection, printed.stdout));
    expect({ prompt_tokens: intArray(promptTokens), tokens: intArray(tokens), text }).toEqual(
      { prompt_tokens: cli.prompt_tokens, tokens: cli.tokens, text: cli.text });
    expect(stop).toBe('max_tokens');
  });

  it('tokenize and next scripts give the answers of `tokenize` and `next`', async () => {
    const prompt = 'The cat sat';
    const tokenizeScript = await script('tokenize', prompt, options);
    const nextScript = await script('next', prompt, { ...options, top: '4', temperature: '0.7' });
    const ids = await tokenizeCommand(prompt, options, memoryIo());
    const candidates = await nextCommand(prompt, { ...options, top: '4', temperature: '0.7' }, memoryIo());
    const [tokenRows, nextRows] = await withPsql(async ({ connection }) => [
      await psql(connection, tokenizeScript),
      await psql(connection, nextScript),
    ]);
    expect(tokenRows).toEqual((ids as number[]).map((id, position) => [String(position), String(id)]));
    expect(nextRows.map(([id, token, logit, probability]) => ({ id: Number(id), token, logit: Number(logit), probability: Number(probability) })))
      .toEqual(candidates);
  });

  it('keeps quotes, backslashes, dollar quotes, SQL and psql meta-commands as text (issue 7)', async () => {
    const scripts = await Promise.all(HOSTILE_PROMPTS.map((prompt) => script('tokenize', prompt, options)));
    const completeOptions = { ...options, maxTokens: '2', temperature: '0.9', seed: '11' };
    const completeScript = await script('complete', HOSTILE_PROMPTS[4], completeOptions);
    const expected = await completeCommand(HOSTILE_PROMPTS[4], { ...completeOptions, json: true }, memoryIo());
    const [rows, completion, wte] = await withPsql(async ({ connection }) => [
      await Promise.all(scripts.map((s) => psql(connection, s))),
      await psql(connection, completeScript),
      await psql(connection, `SELECT count(*) FROM ${model.schema_name}.wte`),
    ]);
    HOSTILE_PROMPTS.forEach((prompt, i) => expect(rows[i].map(([, token]) => Number(token)), prompt).toEqual(encode(prompt)));
    expect(rows.flat(2).join(' ')).not.toContain('pwned'); // \! echo pwned never ran
    expect(intArray(completion[0][0])).toEqual(encode(HOSTILE_PROMPTS[4]));
    expect(intArray(completion[0][1])).toEqual(expected.tokens);
    expect(wte).toEqual([[String(model.vocab_size)]]);
  });

  it('checks the prompt and options before printing anything, as the commands do', async () => {
    await expect(script('complete', '', options)).rejects.toThrow(/prompt is empty/);
    await expect(script('complete', 'Hi', { ...options, topP: '1.5' })).rejects.toThrow(/--top-p/);
    await expect(script('next', 'Hi', { ...options, top: '0' })).rejects.toThrow(/--top/);
    await expect(script('complete', 'word '.repeat(30), options)).rejects.toThrow(/n_ctx = 24/);
    await expect(script('tokenize', 'a\0b', options)).rejects.toThrow(/NUL/);
  });
});
