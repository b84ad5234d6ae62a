// Bad prompts and options for generation: a bad prompt or option given to `complete`, `next`,
// `sql complete` (or a bad prompt given to `trace`) exits 1 with one line saying what is wrong
// and what to do, prints nothing else, and the model loaded before gives the same tokens after.
//
// Options and prompts that need no model are refused before any database is opened (shown by a
// --db where nothing listens), so the driver cannot matter for them: they run once, through the
// program in this process (main()'s parsing and error report), and a few through the executable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { testDatabases } from '../helpers/databases.ts';
import type { LoadedModel } from '../helpers/loaded-model.ts';
import { runCli } from '../helpers/cli-process.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { closedPort } from './closed-port.ts';
import { runProgram } from '../helpers/run-program.ts';
import { cleanUp, encode, greedyTokens, loadOn, referenceTokens, tiktoken, SMALL_VOCAB } from './generation-state.ts';
import { expectOneLineError, modelState, type ModelState } from './model-state.ts';

const SIZE = { n_layer: 1, n_head: 1, n_embd: 8, n_ctx: 16, vocab_size: SMALL_VOCAB, seed: 71 };
const TOO_LONG = ' the'.repeat(SIZE.n_ctx + 4); // one token each
const NUL = 'a\0b'; // only standard input can carry it: arguments are C strings
const NUL_MESSAGE = 'gpt2sql: the text contains U+0000 (NUL), which PostgreSQL text cannot hold; remove it and try again';
const SURROGATE = 'a\uD800b'; // only this process's arguments can carry it: standard input is decoded as UTF-8
const SURROGATE_MESSAGE = 'gpt2sql: the text contains a lone UTF-16 surrogate, which is not valid Unicode; fix the input and try again';
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A case: the arguments after `--db DB --model NAME`, standard input, and the one line expected on stderr. */
type Case = [args: string[], input: string, line: string, executable?: 'also through the executable'];
const alsoExecutable = (c: Case): Case => [c[0], c[1], c[2], 'also through the executable'];

const topP = (value: string): Case =>
  [['complete', 'Hi', '--top-p', value], '', `gpt2sql: --top-p must be a number in (0, 1] (1 keeps every token), got "${value}"`];
const topK = (value: string): Case =>
  [['complete', 'Hi', '--top-k', value], '', `gpt2sql: --top-k must be an integer >= 0 (0 keeps every token), got "${value}"`];
const ZERO = { complete: 'always takes the most probable token', next: 'gives the most probable token probability 1' };
const temperature = (command: 'complete' | 'next', value: string): Case =>
  [[command, 'Hi', '--temperature', value], '', `gpt2sql: --temperature must be 0 (${ZERO[command]}) or a number from 0.000001 to 1000000, got "${value}"`];
/** A flag's text that is no number: refused as it is parsed, before any rule of the option. */
const notANumber = (args: string[], flag: string, value: string): Case => [[...args, flag, value], '', `gpt2sql: ${flag} must be a number, got "${value}"`];

/** Refused before any database is opened. */
const BEFORE_THE_DATABASE: Case[] = [
  alsoExecutable([['complete', ''], '', 'gpt2sql: the prompt is empty; give some text, as an argument or on standard input']),
  [['next'], '', 'gpt2sql: the prompt is empty; give some text, as an argument or on standard input'],
  temperature('complete', '-0.5'),
  alsoExecutable(notANumber(['complete', 'Hi'], '--temperature', 'abc')),
  temperature('complete', '1e-7'),
  temperature('complete', '2e6'),
  temperature('next', '-1'),
  notANumber(['next', 'Hi'], '--temperature', 'abc'),
  temperature('next', '5e-324'),
  topP('0'), topP('1.5'), topP('-1'),
  topK('-1'), topK('2.5'),
  [['complete', 'Hi', '-n', 'ten'], '', 'gpt2sql: --max-tokens must be a number, got "ten"'],
  [['complete', 'Hi', '--engine', 'fast'], '', 'gpt2sql: --engine must be incremental or recompute, got "fast"'],
  [['next', 'Hi', '--top', '0'], '', 'gpt2sql: --top must be an integer >= 1, got "0"'],
  [['sql', 'next', 'Hi', '--top', ' '], '', 'gpt2sql: --top must be a number, got " "'],
  [['sql', 'complete', 'Hi', '--top-p', '1.5'], '', 'gpt2sql: --top-p must be a number in (0, 1] (1 keeps every token), got "1.5"'],
  alsoExecutable([['complete'], NUL, NUL_MESSAGE]),
  alsoExecutable([['next'], NUL, NUL_MESSAGE]),
  [['sql', 'complete'], NUL, NUL_MESSAGE],
  alsoExecutable([['trace', ''], '', 'gpt2sql: the prompt is empty; give some text, as an argument or on standard input']),
  alsoExecutable([['trace'], NUL, NUL_MESSAGE]),
  [['trace', SURROGATE], '', SURROGATE_MESSAGE],
  [['trace', 'a lone low \uDC00'], '', SURROGATE_MESSAGE],
  // commander's own parse errors, made one line by src/cli/main.ts
  alsoExecutable([['complete', 'Hi', '--temprature', '0'], '', "gpt2sql: unknown option '--temprature' (did you mean --temperature?); run gpt2sql complete --help for usage"]),
  [['complete', 'Hi', '--temperature'], '', "gpt2sql: option '--temperature <t>' argument missing; run gpt2sql complete --help for usage"],
];

describe('a bad prompt or option for generation or trace, refused before any database is opened', () => {
  let db: string;
  const args = (rest: string[]) => ['--db', db, '--model', 'gen_opts', ...rest];
  beforeAll(async () => {
    db = `postgres://postgres@127.0.0.1:${await closedPort()}/test`; // opening it would fail with "cannot connect"
  });

  for (const [rest, input, line] of BEFORE_THE_DATABASE) {
    it(`${rest.map((arg) => JSON.stringify(arg)).join(' ')}${input ? ` < ${JSON.stringify(input)}` : ''}`, async () => {
      expect(expectOneLineError(await runProgram(args(rest), input), /./)).toBe(line);
    });
  }

  it.concurrent.each(BEFORE_THE_DATABASE.filter((c) => c[3]))(
    'the executable prints the same line: %j < %j',
    async (rest, input, line) => expect(expectOneLineError(await runCli(args(rest), { input }), /./)).toBe(line),
  );

  it('prints the stack trace after the line only with --verbose', async () => {
    const run = await runProgram(args(['complete', 'Hi', '--top-p', '0', '--verbose']));
    const [first, ...rest] = run.stderr.trimEnd().split('\n');
    expect(first).toBe(topP('0')[2]);
    expect(rest[0]).toMatch(/^GptSqlError: --top-p must be/);
    expect(rest.slice(1).every((line) => /^\s+at /.test(line))).toBe(true);
    expect(run.code).toBe(1);
  });
});

describe.each(testDatabases())('a bad prompt or option for generation on $driver', (target) => {
  let m: LoadedModel;
  let before: { state: ModelState; tokens: number[] };
  const withTarget = (args: string[]) => ['--db', target.db, '--model', m.model.name, ...args];
  const cli = (args: string[]) => runCli(withTarget(args));
  beforeAll(async () => {
    m = await loadOn(target, 'gen_opts', SIZE);
    before = { state: await modelState(target.db, m.model.name), tokens: await greedyTokens(target.db, m.model.name) };
    expect(before.tokens).toEqual(referenceTokens(m, 'Hello', { maxTokens: 5 }));
  });
  afterAll(() => cleanUp(target, m));

  // What the database holds decides these; PGlite admits one process at a time. Each kind of
  // refusal runs once through the executable, the rest through the program in this process.
  const inTurn = target.driver === 'pglite' ? describe : describe.concurrent;
  inTurn('refused by what the database holds', () => {
    const run = (via: 'executable' | 'program', args: string[]) => (via === 'executable' ? cli(args) : runProgram(withTarget(args)));
    const tooLong = () => `gpt2sql: the prompt has ${encode(TOO_LONG).length} tokens but model ${m.model.name} reads at most n_ctx = ${SIZE.n_ctx}; shorten it`;
    for (const [via, command] of [['executable', ['complete']], ['program', ['next']], ['program', ['sql', 'complete']]] as const) {
      it(`${command.join(' ')}: a prompt longer than n_ctx (${via})`, async () => {
        expect(expectOneLineError(await run(via, [...command, TOO_LONG]), /./)).toBe(tooLong());
      });
    }
    for (const [via, command] of [['executable', 'next'], ['program', 'complete']] as const) {
      it(`${command}: a model that is not loaded, listing the loaded ones (${via})`, async () => {
        const line = expectOneLineError(await run(via, [command, 'Hi', '--model', 'no_such_model']), /./);
        expect(line).toMatch(/^gpt2sql: model "no_such_model" is not loaded \(loaded models: [^)]+\); load it with: gpt2sql load SOURCE --as no_such_model$/);
        expect(line).toMatch(new RegExp(`[:,] ${escape(m.model.name)}[,)]`));
      });
    }
  });

  it('stops at n_ctx when -n would pass it: the tokens that fit on stdout, a notice on stderr, exit 0', async () => {
    const run = await cli(['complete', 'The', '-n', '30']); // one token in the small vocabulary
    const tokens = referenceTokens(m, 'The', { maxTokens: 30 });
    expect(tokens).toHaveLength(SIZE.n_ctx - 1); // no <|endoftext|> before the context is full
    expect(run.stderr).toBe(`gpt2sql: stopped after ${SIZE.n_ctx - 1} new tokens: the prompt (1 token) and the new ones fill ` +
      `model ${m.model.name}'s context of n_ctx = ${SIZE.n_ctx} tokens\n`);
    expect(run.stdout).toBe(`The${tiktoken.decode(tokens)}\n`);
    expect(run.code).toBe(0);
  });

  it('left the model as it was: the same rows, the same tokens', async () => {
    expect(await modelState(target.db, m.model.name)).toEqual(before.state);
    expect(await greedyTokens(target.db, m.model.name)).toEqual(before.tokens);
  });
});

describe('--help of complete and next', () => {
  it('says what happens to a prompt longer than n_ctx, and when -n passes it', () => {
    const help = (name: string) => {
      const io = memoryIo();
      buildProgram(io).commands.find((command) => command.name() === name)!.outputHelp();
      return io.stdout.replace(/\s+/g, ' ');
    };
    expect(help('complete')).toContain('when the context (n_ctx) is full (with a notice on stderr); a prompt longer than the context is refused');
    expect(help('next')).toContain("A prompt longer than the model's context (n_ctx tokens) is refused.");
  });
});
