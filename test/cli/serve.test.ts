import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freshPgliteDir } from '../helpers/databases.ts';
import { runCli } from '../helpers/run-cli.ts';

const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));
const psql = promisify(execFile);

describe('gpt2sql serve', () => {
  it('lets the real psql query the embedded database, and stops cleanly on Ctrl-C', async () => {
    const dir = freshPgliteDir();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', dir]);
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', () => {
        const found = /on 127\.0\.0\.1:(\d+)[\s\S]*Ctrl-C/.exec(stdout);
        if (found) resolve(Number(found[1]));
      });
      child.on('close', (code) => reject(new Error(`serve exited with ${code}: ${stdout}`)));
    });
    expect(stdout).toContain(`psql -h 127.0.0.1 -p ${port} -U postgres postgres`);
    const { stdout: rows } = await psql('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-Atc',
      "SELECT value FROM gpt2sql.meta WHERE key = 'format_version'"]);
    expect(rows.trim()).toMatch(/^\d+$/);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(join(dir, 'gpt2sql.lock'))).toBe(false);
  });

  it('refuses to serve a database that is already a server', async () => {
    const result = await runCli(['serve', '--db', 'postgres://postgres@127.0.0.1:5432/test']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is already a PostgreSQL server');
  });
});
