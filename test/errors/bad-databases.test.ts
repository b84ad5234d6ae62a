// Unusable databases: a database gpt2sql cannot use gives one line naming it and saying what
// to do, and a model loaded before stays as it was.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { freshPgliteDir, testDatabases, uniqueModelName } from '../helpers/databases.ts';
import { runCli, startCli } from '../helpers/cli-process.ts';
import { expectLoaded, expectOneLineError, modelState, type ModelState } from './model-state.ts';
import { closedPort } from './closed-port.ts';
import { startPasswordRefusingServer } from './password-refusing-server.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';

const SERVER = process.env.TEST_DATABASE_URL;
// The small vocabulary: the subject is the errors, and a load of it takes a fraction of the whole one's time.
const SIZE = { n_layer: 1, n_head: 1, n_embd: 4, n_ctx: 8, vocab_size: SMALL_VOCAB };
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** SERVER with some parts replaced, e.g. another database or user. */
function serverUrl(change: { username?: string; password?: string; host?: string; port?: number; database?: string }): string {
  const url = new URL(SERVER!);
  if (change.username !== undefined) url.username = change.username;
  if (change.password !== undefined) url.password = change.password;
  if (change.host !== undefined) url.hostname = change.host;
  if (change.port !== undefined) url.port = String(change.port);
  if (change.database !== undefined) url.pathname = `/${change.database}`;
  return url.toString();
}

/** Loads a model with the CLI and returns its state. */
async function loadKept(db: string, name: string, seed: number): Promise<ModelState> {
  const load = await runCli(['load', await tinyCheckpoint({ ...SIZE, seed }), '--as', name, '--db', db]);
  expect(load.code, load.stderr).toBe(0);
  const state = await modelState(db, name);
  expectLoaded(state);
  return state;
}

describe.skipIf(!SERVER)('a PostgreSQL server gpt2sql cannot use', () => {
  const name = uniqueModelName('keep');
  let checkpoint: string;
  let before: ModelState;
  beforeAll(async () => {
    checkpoint = await tinyCheckpoint({ ...SIZE, seed: 81 });
    before = await loadKept(SERVER!, name, 82);
  });
  afterAll(async () => {
    await runCli(['drop', name, '--db', SERVER!]);
  });
  const load = (db: string, ...options: string[]) => runCli(['load', checkpoint, '--as', name, '--db', db, ...options]);
  const where = () => `${new URL(SERVER!).hostname}:${new URL(SERVER!).port || 5432}`;

  it.concurrent('names host and port when nothing listens there', async () => {
    const port = await closedPort();
    expectOneLineError(
      await load(serverUrl({ host: '127.0.0.1', port })),
      new RegExp(`^gpt2sql: cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port} \\(database \\w+\\): connect ECONNREFUSED 127\\.0\\.0\\.1:${port}; start the server, or fix the host and port in --db or DATABASE_URL$`),
    );
  });

  it.concurrent('says the server refused the password (a stand-in server that refuses every password)', async () => {
    const refusing = await startPasswordRefusingServer();
    try {
      const url = `postgres://gpt2sql:wrong@127.0.0.1:${refusing.port}/test`;
      expectOneLineError(
        await load(url),
        new RegExp(`^gpt2sql: cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${refusing.port} \\(database test\\): password authentication failed for user "gpt2sql"; fix the user name and password in --db or DATABASE_URL`),
      );
    } finally {
      await refusing.close();
    }
  });

  it.concurrent('says the role does not exist (the real server)', async () => {
    expectOneLineError(
      await load(serverUrl({ username: 'gpt2sql_no_such_role', password: 'secret' })),
      new RegExp(`^gpt2sql: cannot connect to PostgreSQL at ${escape(where())} \\(database \\w+\\): role "gpt2sql_no_such_role" does not exist; use a user the server knows`),
    );
  });

  it.concurrent('says the database does not exist (the real server)', async () => {
    expectOneLineError(
      await load(serverUrl({ database: 'gpt2sql_no_such_db' })),
      new RegExp(`^gpt2sql: cannot connect to PostgreSQL at ${escape(where())} \\(database gpt2sql_no_such_db\\): database "gpt2sql_no_such_db" does not exist; create the database first \\(createdb gpt2sql_no_such_db\\)`),
    );
  });

  it.concurrent('refuses a URL it cannot parse, without echoing it (it may hold a password)', async () => {
    const line = expectOneLineError(await load('postgres://user:secret@127.0.0.1:99999/test'), /^gpt2sql: the --db URL is not a valid PostgreSQL URL; write it as postgres:\/\/USER:PASSWORD@HOST:PORT\/DATABASE$/);
    expect(line).not.toContain('secret');
  });

  it('left the model loaded before exactly as it was', async () => {
    expect(await modelState(SERVER!, name)).toEqual(before);
  });
});

describe('a PGlite directory gpt2sql cannot use', () => {
  const name = uniqueModelName('keep');
  const dir = freshPgliteDir();
  const scratch = mkdtempSync(join(tmpdir(), 'gpt2sql-errors-'));
  let checkpoint: string;
  let before: ModelState;
  beforeAll(async () => {
    checkpoint = await tinyCheckpoint({ ...SIZE, seed: 83 });
    before = await loadKept(dir, name, 84);
  });
  afterAll(() => {
    for (const path of [dir, scratch]) rmSync(path, { recursive: true, force: true });
  });

  it('refuses a directory another gpt2sql process has open, naming that process', async () => {
    const serve = startCli(['serve', '--port', '0', '--db', dir]);
    try {
      await serve.until((stdout) => stdout.includes('serving'));
      expectOneLineError(
        await runCli(['load', checkpoint, '--as', name, '--db', dir]),
        new RegExp(`^gpt2sql: the database ${escape(dir)} is in use by another gpt2sql process \\(pid ${serve.pid}\\); wait for it to finish, or use another --db directory$`),
      );
    } finally {
      serve.kill('SIGINT');
    }
    expect((await serve.ended).code).toBe(130);
  });

  it.concurrent('refuses a file as --db', async () => {
    const file = join(scratch, 'notes.txt');
    writeFileSync(file, 'not a database');
    expectOneLineError(
      await runCli(['load', checkpoint, '--as', name, '--db', file]),
      new RegExp(`^gpt2sql: cannot use ${escape(file)} as the database \\(--db\\): it is a file, not a directory; give a directory \\(new or empty\\) or a postgres:// URL$`),
    );
  });

  it.concurrent('refuses a non-empty directory that is not a database, and writes nothing into it', async () => {
    const other = mkdtempSync(join(scratch, 'not-a-database-'));
    writeFileSync(join(other, 'thesis.tex'), '\\documentclass{article}');
    expectOneLineError(
      await runCli(['load', checkpoint, '--as', name, '--db', other]),
      new RegExp(`^gpt2sql: ${escape(other)} is not a gpt2sql database and not empty \\(it holds thesis\\.tex\\); give --db a new or empty directory`),
    );
    expect(readdirSync(other)).toEqual(['thesis.tex']);
  });

  it('left the model loaded before exactly as it was', async () => {
    expect(await modelState(dir, name)).toEqual(before);
  });
});

describe.each(testDatabases())('a database written by a newer gpt2sql on $driver', (target) => {
  const name = uniqueModelName('keep');
  let db: string;
  let before: ModelState;
  beforeAll(async () => {
    db = target.driver === 'pglite' ? target.db : serverUrl({ database: name.toLowerCase() });
    if (target.driver === 'postgres') await onServer(`CREATE DATABASE ${name.toLowerCase()}`);
    await loadKept(db, name, 85);
    const database = await openDatabase({ db, migrate: false });
    await database.query("UPDATE gpt2sql.meta SET value = '99' WHERE key = 'format_version'").finally(() => database.close());
    before = await modelState(db, name);
  });
  afterAll(async () => {
    if (target.driver === 'postgres') await onServer(`DROP DATABASE IF EXISTS ${name.toLowerCase()} WITH (FORCE)`);
    else rmSync(target.db, { recursive: true, force: true });
  });

  it('refuses to load into it or list it, and leaves it as it was', async () => {
    const location = target.driver === 'pglite' ? db : db.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
    const message = new RegExp(
      `^gpt2sql: the database ${escape(location)} has format version 99, newer than this gpt2sql understands \\(\\d+\\); ` +
        'upgrade gpt2sql, or point --db at another database$',
    );
    const checkpoint = await tinyCheckpoint({ ...SIZE, seed: 86 });
    expectOneLineError(await runCli(['load', checkpoint, '--as', name, '--db', db]), message);
    expectOneLineError(await runCli(['models', '--db', db]), message);
    expect(await modelState(db, name)).toEqual(before);
    const database = await openDatabase({ db, migrate: false });
    const meta = await database.query("SELECT value FROM gpt2sql.meta WHERE key = 'format_version'").finally(() => database.close());
    expect(meta).toEqual([{ value: '99' }]);
  });
});

async function onServer(sql: string): Promise<void> {
  const database = await openDatabase({ db: SERVER!, migrate: false });
  await database.query(sql).finally(() => database.close());
}
