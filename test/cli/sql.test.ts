import { getEncoding } from 'js-tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeCommand, type CompleteResult } from '../../src/cli/commands/complete.ts';
import { nextCommand } from '../../src/cli/commands/next.ts';
import { sqlCommand, type ScriptName, type SqlCommandOptions } from '../../src/cli/commands/sql.ts';
import { tokenizeCommand } from '../../src/cli/commands/tokenize.ts';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Candidate } from '../../src/engine/next.ts';
import { psqlScript } from '../../src/sql/script.ts';
import { tokenize } from '../../src/sql/statements.ts';
import { logits, newKvCache, transformer } from '../../src/reference/gpt2.ts';
import type { Gpt2Weights } from '../../src/reference/weights.ts';
import { testDatabases } from '../helpers/databases.ts';
import { HOSTILE_PROMPTS } from '../helpers/hostile-prompts.ts';
import { dropModel, loadGeneratedModel } from '../helpers/loaded-model.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { connectPsql, psql, type Served } from '../helpers/psql.ts';
import { runCli } from '../helpers/cli-process.ts';

const tiktoken = getEncoding('gpt2');
const encode = (text: string) => tiktoken.encode(text, [], []);
const intArray = (field: string) => (field === '{}' ? [] : field.slice(1, -1).split(',').map(Number));

/** A script printed by the command function (the executable itself prints the complete script below). */
async function script(name: ScriptName, prompt: string, options: SqlCommandOptions): Promise<string> {
  const io = memoryIo();
  await sqlCommand(name, prompt, options, io);
  return io.stdout;
}

const COMPLETE_ARGS = ['Hello, world', '-n', '4', '--temperature', '0.8', '--top-k', '30', '--seed', '3'];
const NEXT_PROMPT = 'The cat sat';
const NEXT_OPTIONS = { top: '4', temperature: '0.7' };
/** So cold that every probability but the top one is 0: the ranks must still follow the logits. */
const NEXT_COLD = { top: '5', temperature: '0.000001' };
const HOSTILE_COMPLETE = { maxTokens: '2', temperature: '0.9', seed: '11' };

/**
 * Every script and every answer of the commands is made first; then psql runs the scripts, through
 * `gpt2sql serve` on the embedded database, which holds the database while it runs.
 */
describe.each(testDatabases())('gpt2sql sql | psql on $driver', (target) => {
  let model: ModelRow;
  let options: { db: string; model: string };
  let served: Served | undefined;
  let weights: Gpt2Weights;
  const scripts = { complete: '', tokenize: '', next: '', nextCold: '', hostile: [] as string[], hostileComplete: '' };
  const answers = {} as { complete: CompleteResult; tokenize: number[]; next: Candidate[]; nextCold: Candidate[]; hostileComplete: CompleteResult };
  const run = async (sql: string) => psql((served ??= await connectPsql(target)).connection, sql);

  beforeAll(async () => {
    const db = await target.open();
    try {
      ({ model, weights } = await loadGeneratedModel(db, 'sql_cli', { n_layer: 2, n_head: 2, n_embd: 16, n_ctx: 24, seed: 41 }));
    } finally {
      await db.close();
    }
    options = { db: target.db, model: model.name };
    const cliArgs = [...COMPLETE_ARGS, '--model', model.name, '--db', target.db];
    const printed = await runCli(['sql', 'complete', ...cliArgs]);
    expect(printed.stderr).toBe('');
    scripts.complete = printed.stdout;
    answers.complete = JSON.parse((await runCli(['complete', '--json', ...cliArgs])).stdout);
    scripts.tokenize = await script('tokenize', NEXT_PROMPT, options);
    answers.tokenize = (await tokenizeCommand(NEXT_PROMPT, options, memoryIo())) as number[];
    scripts.next = await script('next', NEXT_PROMPT, { ...options, ...NEXT_OPTIONS });
    answers.next = await nextCommand(NEXT_PROMPT, { ...options, ...NEXT_OPTIONS }, memoryIo());
    scripts.nextCold = await script('next', NEXT_PROMPT, { ...options, ...NEXT_COLD });
    answers.nextCold = await nextCommand(NEXT_PROMPT, { ...options, ...NEXT_COLD }, memoryIo());
    scripts.hostile = HOSTILE_PROMPTS.map((prompt) => psqlScript(model, [], tokenize(), { text: prompt })); // what `sql tokenize` prints
    scripts.hostileComplete = await script('complete', HOSTILE_PROMPTS[4], { ...options, ...HOSTILE_COMPLETE });
    answers.hostileComplete = await completeCommand(HOSTILE_PROMPTS[4], { ...options, ...HOSTILE_COMPLETE, json: true }, memoryIo());
  });
  afterAll(async () => {
    await served?.stop();
    const db = await target.open();
    await dropModel(db, model).finally(() => db.close());
  });

  it('checks the prompt and options before printing anything, as the commands do', async () => {
    await expect(script('complete', '', options)).rejects.toThrow(/prompt is empty/);
    await expect(script('complete', 'Hi', { ...options, topP: '1.5' })).rejects.toThrow(/--top-p/);
    await expect(script('next', 'Hi', { ...options, top: '0' })).rejects.toThrow(/--top/);
    await expect(script('complete', 'word '.repeat(30), options)).rejects.toThrow(/n_ctx = 24/);
    await expect(script('tokenize', 'a\0b', options)).rejects.toThrow(/NUL/);
  });

  it('the executable prints a complete script whose one statement gives the tokens `complete` prints', async () => {
    expect(scripts.complete).toMatch(/^-- gpt2sql sql complete/);
    const code = scripts.complete.split('\n').filter((line) => !line.trimStart().startsWith('--'));
    // statements end a line with ';' (a comment after SQL may end with one too: sql/sample.sql's does)
    expect(code.filter((line) => line.replace(/\s*--.*$/, '').endsWith(';'))).toHaveLength(4); // SET client_encoding, search_path, jit; one statement
    const [[promptTokens, tokens, text, stop]] = await run(scripts.complete);
    expect({ prompt_tokens: intArray(promptTokens), tokens: intArray(tokens), text }).toEqual(
      { prompt_tokens: answers.complete.prompt_tokens, tokens: answers.complete.tokens, text: answers.complete.text });
    expect(stop).toBe('max_tokens');
  });

  it('tokenize and next scripts give the answers of `tokenize` and `next`', async () => {
    expect(await run(scripts.tokenize)).toEqual(answers.tokenize.map((id, position) => [String(position), String(id)]));
    const rows = await run(scripts.next);
    expect(rows.map(([id, token, logit, probability]) => ({ id: Number(id), token, logit: Number(logit), probability: Number(probability) })))
      .toEqual(answers.next);
  });

  it('next ranks by logit, ties by id, even where every probability but one is 0; the script agrees', async () => {
    const [expected] = logits(weights, transformer(weights, encode(NEXT_PROMPT), newKvCache(weights)).slice(-1));
    const order = Array.from(expected, (_, id) => id).sort((a, b) => expected[b] - expected[a] || a - b).slice(0, 5);
    expect(answers.nextCold.map((c) => c.id)).toEqual(order);
    expect(answers.nextCold.map((c) => c.probability)).toEqual([1, 0, 0, 0, 0]);
    const rows = await run(scripts.nextCold);
    expect(rows.map(([id, , , probability]) => [Number(id), Number(probability)])).toEqual(answers.nextCold.map((c) => [c.id, c.probability]));
  });

  it('keeps quotes, backslashes, dollar quotes, SQL and psql meta-commands as text', async () => {
    const rows: string[][][] = [];
    for (const sql of scripts.hostile) rows.push(await run(sql));
    HOSTILE_PROMPTS.forEach((prompt, i) => expect(rows[i].map(([, token]) => Number(token)), prompt).toEqual(encode(prompt)));
    expect(rows.flat(2).join(' ')).not.toContain('pwned'); // \! echo pwned never ran
    const [[promptTokens, tokens]] = await run(scripts.hostileComplete);
    expect(intArray(promptTokens)).toEqual(encode(HOSTILE_PROMPTS[4]));
    expect(intArray(tokens)).toEqual(answers.hostileComplete.tokens);
    expect(await run(`SELECT count(*) FROM ${model.schema_name}.wte`)).toEqual([[String(model.vocab_size)]]);
  });
});
