import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli-process.ts';
import { freshPgliteDir } from '../helpers/databases.ts';

const LISTENING = /API on (http:\/\/127\.0\.0\.1:\d+)\/v1[\s\S]*Ctrl-C/;

describe('gpt2sql serve --http', () => {
  it('serves the API and psql from one process on the embedded database, and stops cleanly on SIGTERM', async () => {
    const dir = freshPgliteDir();
    const run = startCli(['serve', '--http', '0', '--port', '0', '--db', dir]);
    await run.until((stdout) => LISTENING.test(stdout));
    const url = LISTENING.exec(run.stdout)![1];
    expect(run.stdout).toMatch(/^try: +curl -N http:\/\/127\.0\.0\.1:\d+\/v1\/completions -H 'Content-Type: application\/json' -d '\{"model":"gpt2",/m);
    const psqlPort = /connect with: +psql -h 127\.0\.0\.1 -p (\d+) -U postgres postgres/.exec(run.stdout)![1];
    const models = await fetch(`${url}/v1/models`);
    expect(await models.json()).toEqual({ object: 'list', data: [] });
    const { stdout: rows } = await promisify(execFile)('psql', ['-h', '127.0.0.1', '-p', psqlPort, '-U', 'postgres', '-d', 'postgres', '-Atc', 'SELECT count(*) FROM gpt2sql.models']);
    expect(rows.trim()).toBe('0');
    run.kill('SIGTERM');
    const ending = await run.ended;
    expect(ending.stderr.split('\n').filter((line) => line !== '')).toEqual([
      'gpt2sql: stopping the server (SIGTERM again to quit at once)',
      `gpt2sql: interrupted by SIGTERM: stopped serving ${dir}; the database is closed`,
    ]);
    expect(ending.code).toBe(143);
    expect(existsSync(join(dir, 'gpt2sql.lock'))).toBe(false);
  });

  it('refuses a bad flag before it opens anything, and warns when the API is open to the network without a key', async () => {
    const bad = await startCli(['serve', '--http', 'x', '--db', freshPgliteDir()]).ended;
    expect(bad.stderr).toBe('gpt2sql: --http must be a port number (0-65535, 0 picks a free one), not "x"\n');
    expect(bad.code).toBe(1);
    const zero = await startCli(['serve', '--http', '0', '--port', '0', '--max-batch', '0', '--db', freshPgliteDir()]).ended;
    expect(zero.stderr).toContain('gpt2sql: --max-batch must be an integer >= 1, got "0"\n');
    expect(zero.code).toBe(1);
    const open = startCli(['serve', '--http', '0', '--port', '0', '--host', '0.0.0.0', '--db', freshPgliteDir()]);
    await open.until((stdout) => /Ctrl-C/.test(stdout));
    expect(open.stderr).toBe('gpt2sql: the API on 0.0.0.0 has no authentication: anyone who reaches this port can use it; give --api-key KEY (or set GPT2SQL_API_KEY)\n');
    open.kill('SIGINT');
    expect((await open.ended).code).toBe(130);
  });

  it.runIf(process.env.TEST_DATABASE_URL)('serves the API alone on a server database, with a key from GPT2SQL_API_KEY', async () => {
    const run = startCli(['serve', '--http', '0', '--db', process.env.TEST_DATABASE_URL!], { env: { GPT2SQL_API_KEY: 'sesame' } });
    await run.until((stdout) => LISTENING.test(stdout));
    expect(run.stdout).toMatch(/^no psql endpoint \(--port\): .* is already a PostgreSQL server: connect to it directly/m);
    expect(run.stdout).toContain('-H "Authorization: Bearer $GPT2SQL_API_KEY"');
    const url = LISTENING.exec(run.stdout)![1];
    expect((await fetch(`${url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${url}/v1/models`, { headers: { Authorization: 'Bearer sesame' } })).status).toBe(200);
    run.kill('SIGTERM');
    expect((await run.ended).code).toBe(143);
  });
});
