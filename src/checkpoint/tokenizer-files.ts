import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GptSqlError } from '../errors.ts';
import { unreadable } from './file-errors.ts';
import type { TokenizerFiles } from './types.ts';

/** The two names the same pair of files goes by: Hugging Face's, then OpenAI's original release. */
export const TOKENIZER_LAYOUTS = [
  { vocab: 'vocab.json', merges: 'merges.txt' },
  { vocab: 'encoder.json', merges: 'vocab.bpe' },
] as const;

/**
 * Reads GPT-2's BPE tokenizer from a directory: vocab.json + merges.txt, or encoder.json + vocab.bpe.
 *
 * @example
 * const { encoder, merges } = await readTokenizerFiles('models/gpt2');
 * encoder.get('Ġthe'); // 262
 * merges[0];           // ['Ġ', 't']
 */
export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  for (const layout of TOKENIZER_LAYOUTS) {
    const vocab = await readIfExists(join(dir, layout.vocab));
    if (vocab === undefined) continue;
    const merges = await readIfExists(join(dir, layout.merges));
    if (merges === undefined) {
      throw new GptSqlError(`${dir} has ${layout.vocab} but no ${layout.merges}, and GPT-2's tokenizer needs both; download ${layout.merges} again`);
    }
    return { encoder: parseEncoder(vocab, join(dir, layout.vocab)), merges: parseMerges(merges, join(dir, layout.merges)) };
  }
  throw new GptSqlError(
    `no tokenizer files in ${dir}: expected vocab.json + merges.txt (Hugging Face) or encoder.json + vocab.bpe (OpenAI); ` +
      "copy them from the model's hub repo (GPT-2's are the same for every size)",
  );
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(path, error);
  }
}

/** vocab.json: {"token": id, …} with distinct non-negative integer ids. */
export function parseEncoder(text: string, source: string): TokenizerFiles['encoder'] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GptSqlError(`${source} is not valid JSON; download it again`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new GptSqlError(`${source} must be a JSON object mapping tokens to ids; download it again`);
  }
  const encoder = new Map<string, number>();
  const seen = new Set<number>();
  for (const [token, id] of Object.entries(json)) {
    if (!Number.isSafeInteger(id) || id < 0 || seen.has(id)) {
      throw new GptSqlError(
        `${source}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, but ids must be distinct integers ≥ 0; download it again`,
      );
    }
    seen.add(id);
    encoder.set(token, id);
  }
  return encoder;
}

/**
 * merges.txt: an optional `#version` first line, then one merge per line, `left right`, in rank order.
 * Only the first line may be skipped for starting with '#': `# #` is a real merge further down.
 */
export function parseMerges(text: string, source: string): TokenizerFiles['merges'] {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  const merges: TokenizerFiles['merges'] = [];
  lines.forEach((line, index) => {
    if (line === '' || (index === 0 && line.startsWith('#version'))) return;
    const pair = line.split(' ');
    if (pair.length !== 2 || pair[0] === '' || pair[1] === '') {
      throw new GptSqlError(
        `${source} line ${index + 1}: ${JSON.stringify(line)} is not two tokens separated by one space; download it again`,
      );
    }
    merges.push([pair[0], pair[1]]);
  });
  return merges;
}
