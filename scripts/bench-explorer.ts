// Benchmark of the explorer page (gpt2sql serve at /): on a random checkpoint of a size, on PGlite
// and on a server, how long the trace of a prompt of N tokens takes, when the grid of attention
// heatmaps first appears in Chromium, and how long each interaction takes once the trace is
// there (a sampling slider, opening a head, opening the same link again). Prints a markdown table
// for the README.
//
//   npx tsx scripts/bench-explorer.ts [--size tiny|gpt2] [--tokens 32] [--only pglite|postgres] [--server URL] [--keep]
//
// The checkpoint is generated into $TMPDIR/gpt2sql-bench/SIZE if missing; PGlite's database goes
// to $TMPDIR/gpt2sql-bench/explorer-SIZE (deleted at the end unless --keep); on the server the
// model is loaded as bench_explorer_SIZE and dropped at the end unless --keep.
import { existsSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeCheckpoint, PRESETS } from '../src/checkpoint/make-checkpoint.ts';
import { openCheckpoint } from '../src/checkpoint/open-checkpoint.ts';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { listModels } from '../src/engine/model.ts';
import { Scheduler } from '../src/engine/scheduler.ts';
import { decode, encode } from '../src/engine/tokenizer.ts';
import { startApiServer } from '../src/http/api-server.ts';
import { dropModel } from '../src/load/drop-model.ts';
import { loadModel } from '../src/load/load-model.ts';
import { launchChromium } from '../test/helpers/browser.ts';
import { parseCommandLine } from './command-line.ts';

const { values: args } = parseCommandLine(import.meta.url, {
  options: {
    size: { type: 'string', default: 'gpt2' },
    tokens: { type: 'string', default: '32' },
    only: { type: 'string' },
    server: { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    keep: { type: 'boolean', default: false },
  },
});
if (!(args.size! in PRESETS)) throw new Error(`--size must be one of ${Object.keys(PRESETS).join(', ')}, not "${args.size}"`);
const log = (text: string) => process.stderr.write(`${text}\n`);
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const name = `bench_explorer_${args.size!.replace(/-/g, '_')}`;

async function checkpointDir(): Promise<string> {
  const dir = join(tmpdir(), 'gpt2sql-bench', args.size!);
  if (!existsSync(join(dir, 'model.safetensors'))) {
    log(`generating a ${args.size} checkpoint in ${dir}`);
    await makeCheckpoint(dir, { preset: args.size as keyof typeof PRESETS, seed: 1 });
  }
  return dir;
}

async function loaded(db: Database, dir: string): Promise<void> {
  if ((await listModels(db)).some((model) => model.name === name)) return;
  log(`loading ${dir} as ${name}`);
  const checkpoint = await openCheckpoint(dir);
  try {
    await loadModel(db, checkpoint, { name, source: dir, kernel: 'auto' });
  } finally {
    await checkpoint.close();
  }
}

/** A text of exactly `length` tokens (common words), and a second one that shares no trace with it. */
async function prompts(db: Database, length: number): Promise<string[]> {
  const model = (await listModels(db)).find((row) => row.name === name)!;
  const words = 'The old lighthouse keeper watched the storm roll in from the sea while his daughter counted ships on the horizon and wrote their names in a small book'.split(' ');
  const texts: string[] = [];
  for (const start of [0, 7]) {
    const text = Array.from({ length: length * 2 }, (_, i) => words[(start + i) % words.length]).join(' ');
    const ids = (await encode(db, model, text)).slice(0, length);
    const cut = await decode(db, model, ids);
    if ((await encode(db, model, cut)).length !== length) throw new Error(`could not make a prompt of ${length} tokens`);
    texts.push(cut);
  }
  return texts;
}

/** Milliseconds, by the page's clock, from just before `action` to the page's next mark `mark` (what it drew). */
async function timed(page: Page, action: () => Promise<unknown>, mark: string): Promise<number> {
  const started = await page.evaluate(() => performance.now());
  await action();
  const drawn = await page.waitForFunction(
    ([name, after]) => performance.getEntriesByName(name).find((entry) => entry.startTime > after)?.startTime,
    [mark, started] as const, { timeout: 600_000 },
  );
  return (await drawn.jsonValue())! - started;
}

async function benchDriver(driver: string, target: string, dir: string): Promise<string[]> {
  const db = await openDatabase({ db: target });
  await loaded(db, dir);
  const [first, second] = await prompts(db, Number(args.tokens));
  const api = await startApiServer({ backend: Promise.resolve({ db, scheduler: new Scheduler(db) }), port: 0 });
  const browser = await launchChromium();
  try {
    const url = (prompt: string, extra = '') => `${api.url}/?model=${name}&prompt=${encodeURIComponent(prompt)}${extra}`;
    log(`${driver}: the trace of ${args.tokens} tokens, by the endpoint`);
    const traceStarted = performance.now();
    const traced = await (await fetch(`${api.url}/explorer/trace?model=${name}&prompt=${encodeURIComponent(second)}`)).json() as { traced_seconds: number };
    const traceEndpoint = performance.now() - traceStarted;
    log(`${driver}: a link opened in Chromium, a new prompt`);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(url(first));
    await page.waitForSelector('body[data-ready="true"]', { timeout: 600_000 });
    // the page's own marks, from the start of the navigation: the grid drawn, everything drawn
    const [grid, ready] = await page.evaluate(() => ['explorer:grid', 'explorer:ready'].map((name) => performance.getEntriesByName(name)[0].startTime));
    log(`${driver}: interactions`);
    const slider = await timed(page, () => page.locator('#temperature').fill('0.55'), 'explorer:next');
    const head = await timed(page, () => page.locator('#attention-grid canvas.head-thumb[data-block="0"][data-head="1"]').click(), 'explorer:head');
    const again = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await again.goto(url(first));
    await again.waitForSelector('body[data-ready="true"]', { timeout: 600_000 });
    const reopened = await again.evaluate(() => performance.getEntriesByName('explorer:grid')[0].startTime);
    return [args.size!, driver, seconds(traced.traced_seconds * 1000), seconds(traceEndpoint), seconds(grid), seconds(ready), seconds(slider), seconds(head), seconds(reopened)];
  } finally {
    await browser.close();
    await api.close();
    if (!args.keep) await dropBenchModel(db);
    await db.close();
  }
}

/** Drops the benchmark's model and the explorer's traces of it. */
async function dropBenchModel(db: Database): Promise<void> {
  const traces = await db.query<{ schema: string }>("SELECT nspname AS schema FROM pg_namespace WHERE starts_with(nspname, 'trace_explore_')");
  for (const { schema } of traces) {
    const [info] = await db.query<{ model: string }>(`SELECT model FROM "${schema}".info`).catch(() => []);
    if (info?.model === name) await db.exec(`DROP SCHEMA "${schema}" CASCADE`);
  }
  const model = (await listModels(db)).find((row) => row.name === name);
  if (model) await dropModel(db, model);
}

const dir = await checkpointDir();
const rows: string[][] = [];
if (args.only !== 'postgres') {
  const pglite = join(tmpdir(), 'gpt2sql-bench', `explorer-${args.size}`);
  rows.push(await benchDriver('PGlite', pglite, dir));
  if (!args.keep) rmSync(pglite, { recursive: true, force: true });
}
if (args.only !== 'pglite') {
  try {
    rows.push(await benchDriver('PostgreSQL server', args.server!, dir));
  } catch (error) {
    log(`the server at ${args.server} was not measured: ${(error as Error).message}`);
  }
}
console.log(`Explorer, ${args.tokens}-token prompt, seconds (${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 1024 ** 3)} GiB, ${new Date().toISOString().slice(0, 10)}):\n`);
console.log('| model | database | trace (made) | GET /explorer/trace | first paint of the attention grid | page complete | a sampling slider | opening a head | the same link again |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
