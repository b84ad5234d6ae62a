/** The real psql binary, and `gpt2sql serve` for it to connect to the embedded database. */
import { spawn } from 'node:child_process';
import { startCli } from './cli-process.ts';

const FIELD = '\x1f', RECORD = '\x1e';

/** psql's connection arguments for a database a test runs against. */
export type PsqlConnection = string[];

/**
 * Pipes `script` into `psql -X -q -A -t -v ON_ERROR_STOP=1` and returns its rows, split into
 * fields (unit and record separators, so text with `|` or newlines stays whole). Rejects with
 * psql's stderr when it exits with an error.
 *
 * @example
 * const rows = await psql(['-d', url], 'SELECT 1, 2'); // [['1', '2']]
 */
export function psql(connection: PsqlConnection, script: string): Promise<string[][]> {
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-F', FIELD, '-R', RECORD, ...connection];
  return new Promise((resolve, reject) => {
    const child = spawn('psql', args, { env: { ...process.env, PGCONNECT_TIMEOUT: '10' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`psql exited with ${code}: ${stderr}`));
      else resolve(stdout.replace(/\n$/, '').split(RECORD).filter((record) => record !== '').map((record) => record.split(FIELD)));
    });
    child.stdin.end(script);
  });
}

/** A running `gpt2sql serve`, with psql's arguments to reach it. */
export interface Served {
  connection: PsqlConnection;
  stop(): Promise<void>;
}

/**
 * Starts `gpt2sql serve --port 0` on a PGlite directory and waits for its port. Stop it before
 * another gpt2sql process opens the directory.
 */
export async function serve(dir: string): Promise<Served> {
  const run = startCli(['serve', '--port', '0', '--http', '0', '--db', dir]);
  const listening = /on 127\.0\.0\.1:(\d+)/;
  await run.until((stdout) => listening.test(stdout));
  return {
    connection: ['-h', '127.0.0.1', '-p', listening.exec(run.stdout)![1], '-U', 'postgres', '-d', 'postgres'],
    stop: async () => {
      run.kill('SIGINT');
      await run.ended;
    },
  };
}

/** A psql connection for a test database: the server's URL, or `serve` on the PGlite directory. */
export async function connectPsql(target: { driver: string; db: string }): Promise<Served> {
  if (target.driver === 'postgres') return { connection: ['-d', target.db], stop: async () => {} };
  return serve(target.db);
}
