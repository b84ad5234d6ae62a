// How fast the installed package starts: `gpt2sql --help`, and `gpt2sql tokenize "Hello"` on a
// PGlite database that holds a GPT-2 124M-sized model, each run 5 times (the median counts), from
// the installed package's node_modules/.bin/gpt2sql as a global install runs it. Targets (issue
// 28): --help <= 0.3 s, tokenize <= 1.0 s. The load average before and after says whether the
// machine was busy.
//
//   npx tsx scripts/bench-start.ts [--install DIR] [--db DIR] [--runs N]
//
// Without --install, the checkout is packed (npm pack) and the tarball installed into a temporary
// directory; without --db, a random GPT-2 124M checkpoint is generated and loaded into a new PGlite
// directory first (about two minutes), kept in $TMPDIR/gpt2sql-bench-start for the next run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCheckpoint, PRESETS } from '../src/checkpoint/make-checkpoint.ts';
import { PACKAGE_ROOT } from '../src/package-files.ts';
import { parseCommandLine } from './command-line.ts';

const { values } = parseCommandLine(import.meta.url, { options: { install: { type: 'string' }, db: { type: 'string' }, runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);

/** An empty directory with the packed checkout installed in it, as a user installs it. */
function install(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gpt2sql-bench-start-'));
  execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(dir).find((file) => file.endsWith('.tgz'))!;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-start', private: true }));
  execFileSync('npm', ['install', `./${tarball}`, '--prefer-offline', '--no-audit', '--no-fund', '--silent'], { cwd: dir, stdio: 'inherit' });
  return dir;
}

const installed = values.install ?? install();
const bin = join(installed, 'node_modules', '.bin', 'gpt2sql');

/** A PGlite directory holding a GPT-2 124M-sized model named gpt2. */
async function database(): Promise<string> {
  const base = join(tmpdir(), 'gpt2sql-bench-start');
  const db = join(base, 'db');
  if (existsSync(join(db, 'PG_VERSION'))) return db;
  mkdirSync(base, { recursive: true });
  const checkpoint = join(base, 'checkpoint');
  if (!existsSync(join(checkpoint, 'model.safetensors'))) await makeCheckpoint(checkpoint, { ...PRESETS.gpt2 });
  execFileSync(bin, ['load', checkpoint, '--as', 'gpt2', '--db', db], { stdio: 'inherit' });
  return db;
}

/** Seconds for each of `runs` runs of `gpt2sql ARGS`; throws when one fails. */
function timed(args: string[]): number[] {
  return Array.from({ length: runs }, () => {
    const started = performance.now();
    const result = spawnSync(bin, args, { cwd: installed, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`gpt2sql ${args.join(' ')} failed: ${result.stderr}`);
    return (performance.now() - started) / 1000;
  });
}

const median = (seconds: number[]) => [...seconds].sort((a, b) => a - b)[Math.floor(seconds.length / 2)];
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const db = values.db ?? (await database());
const before = load();
const rows = [
  { what: 'gpt2sql --help', target: 0.3, seconds: timed(['--help']) },
  { what: 'gpt2sql tokenize "Hello" (PGlite, GPT-2 124M loaded)', target: 1.0, seconds: timed(['tokenize', 'Hello', '--db', db]) },
];
console.log(`installed package: ${installed}; load average before ${before}, after ${load()} (${(await import('node:os')).cpus().length} cores)\n`);
console.log(`| command | median of ${runs} | runs (s) | target |`);
console.log('|---|---|---|---|');
for (const { what, target, seconds } of rows) {
  const m = median(seconds);
  console.log(`| \`${what}\` | ${m.toFixed(2)} s | ${seconds.map((s) => s.toFixed(2)).join(', ')} | ≤ ${target} s ${m <= target ? '✓' : '✗'} |`);
}
