// Times sql/tokenize.sql on a 10 kB English text and a 10 kB mixed-script text (and one long
// word), checks every result against js-tiktoken, and prints a markdown table.
// Usage: npx tsx scripts/bench-tokenizer.ts [--db DIR|URL] [--runs N]
//        (default: a fresh embedded PGlite database in a temporary directory, 5 runs)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getEncoding } from 'js-tiktoken';
import { readTokenizerFiles } from '../src/checkpoint/tokenizer-files.ts';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { encode } from '../src/engine/tokenizer.ts';
import { loadTokenizerTables } from '../src/load/tokenizer-tables.ts';
import { quoteIdent } from '../src/sql/quote.ts';
import { prng } from '../test/helpers/prng.ts';
import { benchmarkTexts } from '../test/helpers/tokenizer-corpus.ts';
import { GPT2_TOKENIZER_DIR } from '../test/helpers/tokenizer-schema.ts';
import { parseCommandLine } from './command-line.ts';

const { values } = parseCommandLine(import.meta.url, { options: { db: { type: 'string' }, runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const tiktoken = getEncoding('gpt2');

/** A word of `length` random lowercase letters: the slow case, one BPE step per merge rule it meets. */
function longWord(length: number): string {
  const random = prng(2024);
  return Array.from({ length }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('');
}

async function timeEncode(db: Database, schema: string, text: string, times: number): Promise<{ ms: number[]; ids: number[] }> {
  const ms: number[] = [];
  let ids: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    ids = await encode(db, { schema_name: schema }, text);
    ms.push(performance.now() - started);
  }
  return { ms: ms.sort((a, b) => a - b), ids };
}

async function main(): Promise<void> {
  const scratch = values.db ? undefined : mkdtempSync(join(tmpdir(), 'gpt2sql-bench-tokenizer-'));
  const db = await openDatabase({ db: values.db ?? scratch });
  const schema = `bench_tokenizer_${process.pid}`;
  try {
    const tokenizer = await readTokenizerFiles(GPT2_TOKENIZER_DIR);
    await db.transaction(async () => {
      await db.exec(`CREATE SCHEMA ${quoteIdent(schema)}`);
      await loadTokenizerTables(db, schema, tokenizer);
    });
    const cases = [...benchmarkTexts().map((b) => ({ ...b, runs })), { name: 'one 3,000-letter random word', text: longWord(3000), runs: 1 }];
    console.log(`tokenize.sql on ${scratch ? 'embedded PGlite' : db.location}, ${runs} runs (median)\n`);
    console.log('| text | bytes | tokens | median ms | fastest ms | same ids as tiktoken |');
    console.log('|---|---:|---:|---:|---:|---|');
    for (const { name, text, runs: times } of cases) {
      const { ms, ids } = await timeEncode(db, schema, text, times);
      const same = JSON.stringify(ids) === JSON.stringify(tiktoken.encode(text, [], []));
      const median = ms[Math.floor(ms.length / 2)];
      console.log(`| ${name} | ${Buffer.byteLength(text)} | ${ids.length} | ${median.toFixed(0)} | ${ms[0].toFixed(0)} | ${same ? 'yes' : 'NO'} |`);
      if (!same) process.exitCode = 1;
    }
  } finally {
    await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await db.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
