import { getEncoding } from 'js-tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { detokenizeCommand, parseIds } from '../../src/cli/commands/detokenize.ts';
import { tokenizeCommand } from '../../src/cli/commands/tokenize.ts';
import { loadModel } from '../../src/load/load-model.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { testDatabases, uniqueModelName } from '../helpers/databases.ts';
import { runCli } from '../helpers/cli-process.ts';
import { memoryIo } from '../helpers/memory-io.ts';

const tiktoken = getEncoding('gpt2');
const reference = (text: string) => tiktoken.encode(text, [], []);

describe.each(testDatabases())('gpt2sql tokenize and detokenize on $driver', (target) => {
  const model = uniqueModelName('tok_cli');
  const options = { db: target.db, model };

  beforeAll(async () => {
    const checkpoint = await openCheckpoint(await tinyCheckpoint({ n_layer: 1, n_head: 1, n_embd: 4, n_ctx: 8 }));
    const db = await target.open();
    try {
      await loadModel(db, checkpoint, { name: model, source: 'tiny' });
    } finally {
      await db.close();
      await checkpoint.close();
    }
  });
  afterAll(async () => {
    await runCli(['drop', model, '--db', target.db]);
  });

  it('prints a table of positions, ids and quoted token texts', async () => {
    const io = memoryIo();
    const ids = await tokenizeCommand('Hello,  world\n😀', options, io);
    expect(ids).toEqual(reference('Hello,  world\n😀'));
    const lines = io.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^position\s+token\s+text$/);
    expect(lines[2]).toMatch(/^\s*0\s+15496\s+"Hello"$/);
    expect(lines).toContainEqual(expect.stringMatching(/^\s*3\s+\d+\s+" world"$/));
    expect(lines).toContainEqual(expect.stringMatching(/"\\n"$/));
    expect(lines).toContainEqual(expect.stringMatching(/bytes f0 9f/)); // the emoji's first token is part of a character
  });

  it('prints the ids as JSON, reading standard input when no text is given', async () => {
    const io = memoryIo('  trailing spaces and a newline  \n');
    await tokenizeCommand(undefined, { ...options, json: true }, io);
    expect(JSON.parse(io.stdout)).toEqual(reference('  trailing spaces and a newline  \n'));
  });

  it('tokenizes one JSON string per line with --jsonl', async () => {
    const texts = ['Hello, wörld!', '', 'line\nbreak', "it's 2024 🎉", '\u3000全角'];
    const io = memoryIo(`${texts.map((t) => JSON.stringify(t)).join('\r\n')}\n`);
    await tokenizeCommand(undefined, { ...options, jsonl: true }, io);
    expect(io.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))).toEqual(texts.map(reference));
  });

  it('refuses a --jsonl line that is not a JSON string, naming the line', async () => {
    const io = memoryIo('"fine"\nnot json\n');
    await expect(tokenizeCommand(undefined, { ...options, jsonl: true }, io)).rejects.toThrow(/standard input line 2 is not a JSON string/);
    await expect(tokenizeCommand('text', { ...options, jsonl: true }, memoryIo())).rejects.toThrow(/leave out TEXT/);
  });

  it('prints the text of ids exactly, or as JSON', async () => {
    const text = 'Grüße,\n  世界 👋🏽';
    const io = memoryIo();
    expect(await detokenizeCommand(reference(text).map(String), options, io)).toBe(text);
    expect(io.stdout).toBe(text);
    const json = memoryIo(JSON.stringify(reference(text)));
    await detokenizeCommand([], { ...options, json: true }, json);
    expect(JSON.parse(json.stdout)).toBe(text);
  });

  it('names ids that are not in the vocabulary', async () => {
    await expect(detokenizeCommand(['15496', '60000'], options, memoryIo())).rejects.toThrow(/not a token id of this model: 60000/);
  });

  it('runs as `echo \'"Hello, wörld!"\' | gpt2sql tokenize --jsonl`', async () => {
    const run = await runCli(['tokenize', '--jsonl', '--model', model, '--db', target.db], { input: '"Hello, wörld!"\n' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(reference('Hello, wörld!'));
  });
});

describe('parseIds', () => {
  it('reads ids separated by spaces or commas, with or without JSON brackets', () => {
    expect(parseIds('15496 11  995')).toEqual([15496, 11, 995]);
    expect(parseIds('[15496, 11,995]\n')).toEqual([15496, 11, 995]);
    expect(parseIds('')).toEqual([]);
    expect(() => parseIds('12 x')).toThrow(/"x" is not a token id/);
    expect(() => parseIds('-1')).toThrow(/not a token id/);
  });
});
