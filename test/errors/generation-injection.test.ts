// Hostile prompts, for the commands: prompts full of quotes, backslashes, dollar quotes, SQL and
// psql meta-commands reach the database only as bind parameters, so `tokenize` and `complete`
// treat them as text: the ids are js-tiktoken's, and the model's tables are untouched. (The
// scripts `gpt2sql sql` prints are tested through psql in test/cli/sql.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompleteResult } from '../../src/cli/commands/complete.ts';
import { testDatabases } from '../helpers/databases.ts';
import { HOSTILE_PROMPTS } from '../helpers/hostile-prompts.ts';
import type { LoadedModel } from '../helpers/loaded-model.ts';
import { runCli } from '../helpers/cli-process.ts';
import { cleanUp, encode, loadOn, referenceTokens, SMALL_VOCAB } from './generation-state.ts';
import { modelState, type ModelState } from './model-state.ts';

/** Every hostile prompt in one text (92 tokens): one `complete` run covers them all. */
const ALL = HOSTILE_PROMPTS.join('\n');
// n_ctx 192: the hostile prompts together are 144 tokens of the small vocabulary.
const SIZE = { n_layer: 1, n_head: 1, n_embd: 8, n_ctx: 192, vocab_size: SMALL_VOCAB, seed: 76 };

describe.each(testDatabases())('hostile prompts through the commands on $driver', (target) => {
  let m: LoadedModel;
  let before: ModelState;
  beforeAll(async () => {
    m = await loadOn(target, 'gen_inj', SIZE);
    before = await modelState(target.db, m.model.name);
  });
  afterAll(() => cleanUp(target, m));

  it('tokenize --jsonl gives js-tiktoken\'s ids for every one of them', async () => {
    const input = HOSTILE_PROMPTS.map((prompt) => JSON.stringify(prompt)).join('\n');
    const run = await runCli(['tokenize', '--jsonl', '--model', m.model.name, '--db', target.db], { input });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line))).toEqual(HOSTILE_PROMPTS.map(encode));
  });

  it('complete takes all of them at once as text, as an argument and on standard input, as the reference does', async () => {
    const args = ['complete', '-n', '2', '--json', '--model', m.model.name, '--db', target.db];
    const asArgument = await runCli([...args, ALL]);
    const onStdin = await runCli(args, { input: `${ALL}\n` }); // after the first: PGlite admits one process at a time
    for (const run of [asArgument, onStdin]) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout) as CompleteResult).toMatchObject({
        prompt_tokens: encode(ALL),
        tokens: referenceTokens(m, ALL, { maxTokens: 2 }),
      });
    }
  });

  it('left every table of the model as it was: wte is still there, row for row', async () => {
    const after = await modelState(target.db, m.model.name);
    expect(after.tables.wte.rows).toBe(m.model.vocab_size);
    expect(after).toEqual(before);
  });
});
