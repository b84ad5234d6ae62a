// The package as a user gets it: `npm pack` (prepack builds dist/), the tarball installed into an
// empty directory, and `npx gpt2sql …` run from there on both databases. The install holds no
// TypeScript toolchain and no path into the checkout, so the commands can only run the compiled
// package: its bin, dist/, sql/ and its dependencies.
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../../src/checkpoint/make-checkpoint.ts';
import { uniqueModelName } from '../helpers/databases.ts';
import { psql } from '../helpers/psql.ts';

const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(CHECKOUT, 'package.json'), 'utf8')) as { version: string }).version;
const run = promisify(execFile);

let root: string;
/** The user's project: an empty directory where the tarball was installed. */
let app: string;
let checkpoint: string;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npx gpt2sql ARGS` from the user's directory, with HF_HUB_OFFLINE=1 (nothing is downloaded). */
function gpt2sql(args: string[], input = ''): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'gpt2sql', ...args], { cwd: app, env: { ...process.env, HF_HUB_OFFLINE: '1' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function ok(args: string[], input?: string): Promise<string> {
  const result = await gpt2sql(args, input);
  expect(result.stderr.includes(CHECKOUT), result.stderr).toBe(false);
  expect(result.code, `gpt2sql ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** `gpt2sql serve --http 0 --port 0` from the install, until it prints its addresses; stopped with SIGINT. */
async function serve(db: string): Promise<{ url: string; psqlPort?: string; stop(): Promise<void> }> {
  const child = spawn(join(app, 'node_modules', '.bin', 'gpt2sql'), ['serve', '--http', '0', '--port', '0', '--db', db], { cwd: app });
  let stdout = '';
  const ended = new Promise<void>((resolve) => child.on('close', () => resolve()));
  child.stderr.resume();
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (/press Ctrl-C to stop/.test(stdout)) resolve();
    });
    child.on('close', (code) => reject(new Error(`serve ended (exit ${code}) before it listened: ${stdout}`)));
  });
  return {
    url: /API on (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(stdout)![1],
    psqlPort: /connect with: +psql -h 127\.0\.0\.1 -p (\d+)/.exec(stdout)?.[1],
    stop: async () => {
      child.kill('SIGINT');
      await ended;
    },
  };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gpt2sql-test-package-'));
  await run('npm', ['pack', '--pack-destination', root, '--no-audit', '--no-fund'], { cwd: CHECKOUT, maxBuffer: 64 * 1024 * 1024 });
  const tarball = `gpt2sql-${VERSION}.tgz`;
  expect(readdirSync(root)).toContain(tarball);
  app = join(root, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'uses-gpt2sql', private: true, type: 'module' }));
  await run('npm', ['install', join('..', tarball), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, maxBuffer: 64 * 1024 * 1024 });
  checkpoint = join(root, 'checkpoint');
  await makeCheckpoint(checkpoint, { n_layer: 2, n_head: 2, n_embd: 32, n_ctx: 64 });
}, 600_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the installed package', () => {
  it('holds what runs and nothing of the checkout: compiled JavaScript with types, sql/, no sources, tests or toolchain', async () => {
    const installed = join(app, 'node_modules', 'gpt2sql');
    expect(realpathSync(installed).startsWith(realpathSync(app))).toBe(true); // a copy, not a link to the checkout
    expect(readdirSync(installed).sort()).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'bin', 'dist', 'package.json', 'sql']);
    expect(readdirSync(join(installed, 'dist')).sort()).toEqual(['cli', 'explorer', 'migrations', 'src']);
    expect(existsSync(join(installed, 'dist', 'src', 'index.d.ts'))).toBe(true);
    // A development tool (scripts/, tests) whose gpt-3-encoder is a development dependency only.
    expect(existsSync(join(installed, 'dist', 'src', 'checkpoint', 'make-checkpoint.js'))).toBe(false);
    for (const tool of ['tsx', 'esbuild', 'typescript', 'vitest']) expect(existsSync(join(app, 'node_modules', tool)), tool).toBe(false);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.exports['.']).toEqual({ types: './dist/src/index.d.ts', default: './dist/src/index.js' });
    expect(await ok(['--version'])).toBe(`${VERSION}\n`);
    expect(await ok(['--help'])).toMatch(/Usage: gpt2sql \[options\] \[command\][\s\S]*complete/);
  });

  it('imports as a library by its name', async () => {
    writeFileSync(join(app, 'use.mjs'), "import { open, version } from 'gpt2sql';\nconsole.log(typeof open, version);\n");
    const { stdout } = await run(process.execPath, ['use.mjs'], { cwd: app });
    expect(stdout).toBe(`function ${VERSION}\n`);
    // Its types as a TypeScript user's compiler reads them (strict, NodeNext, without skipLibCheck):
    // examples/library.ts, which calls every function of the API, checked against the installed .d.ts
    // files by the checkout's compiler (the one tool taken from the checkout; Node's types beside it).
    copyFileSync(join(CHECKOUT, 'examples', 'library.ts'), join(app, 'library.ts'));
    const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], typeRoots: [join(CHECKOUT, 'node_modules', '@types')] };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['library.ts'] }));
    await run(process.execPath, [join(CHECKOUT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app });
  });
});

const databases = [{ driver: 'pglite', db: () => join(root, 'pglite-db') }];
if (process.env.TEST_DATABASE_URL) databases.push({ driver: 'postgres', db: () => process.env.TEST_DATABASE_URL! });

describe.each(databases)('npx gpt2sql on $driver', ({ driver, db: dbOf }) => {
  const model = driver === 'pglite' ? 'tiny' : uniqueModelName('package');
  const on = () => ['--db', dbOf(), '--model', model];
  let completion: { tokens: number[]; text: string };

  afterAll(async () => {
    if (driver !== 'postgres') return;
    await gpt2sql(['drop', model, '--db', dbOf()]);
    await psql(['-d', dbOf()], `DROP SCHEMA IF EXISTS trace_${model} CASCADE`);
  });

  it('loads a checkpoint, tokenizes, completes and ranks the next tokens', async () => {
    await ok(['load', checkpoint, '--as', model, '--db', dbOf()]);
    expect(JSON.parse(await ok(['tokenize', 'Hello, world', '--json', ...on()]))).toEqual([15496, 11, 995]);
    completion = JSON.parse(await ok(['complete', 'Hello', '-n', '4', '--json', ...on()]));
    expect(completion.tokens).toHaveLength(4);
    const candidates = JSON.parse(await ok(['next', 'Hello', '--top', '3', '--json', ...on()]));
    expect(candidates.map((candidate: { id: number }) => candidate.id)[0]).toBe(completion.tokens[0]);
  });

  it('prints the SQL of a completion, which psql runs to the same tokens', async () => {
    const script = await ok(['sql', 'complete', 'Hello', '-n', '4', ...on()]);
    const served = driver === 'pglite' ? await serve(dbOf()) : undefined;
    try {
      const connection = served ? ['-h', '127.0.0.1', '-p', served.psqlPort!, '-U', 'postgres', '-d', 'postgres'] : ['-d', dbOf()];
      const [[, tokens, text]] = await psql(connection, script);
      expect(JSON.parse(tokens.replace('{', '[').replace('}', ']'))).toEqual(completion.tokens);
      expect(text).toBe(completion.text);
    } finally {
      await served?.stop();
    }
  });

  it('traces a forward pass into tables', async () => {
    expect(await ok(['trace', 'Hello, world', '--as', model, ...on()])).toMatch(new RegExp(`trace_${model}`));
  });

  it('serves the explorer page and /v1/completions', async () => {
    const served = await serve(dbOf());
    try {
      const page = await fetch(`${served.url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
      expect((await fetch(`${served.url}/explorer.js`)).status).toBe(200);
      const response = await fetch(`${served.url}/v1/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model, prompt: 'Hello', max_tokens: 4, temperature: 0 }),
      });
      expect(response.status).toBe(200);
      expect((await response.json()).choices[0].text).toBe(completion.text);
    } finally {
      await served.stop();
    }
  });
});
