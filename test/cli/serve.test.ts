import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli-process.ts';
import { freshPgliteDir } from '../helpers/databases.ts';

const psql = promisify(execFile);

/** The signals that stop `serve`, the exit code after each (128 + its number), and how the notice names it. */
const SIGNALS = [['SIGINT', 130, 'Ctrl-C'], ['SIGTERM', 143, 'SIGTERM'], ['SIGHUP', 129, 'SIGHUP']] as const;

describe('gpt2sql serve', () => {
  it.each(SIGNALS)('lets the real psql query the embedded database, and stops cleanly on %s (exit %i)', async (signal, code, again) => {
    const dir = freshPgliteDir();
    const run = startCli(['serve', '--port', '0', '--http', '0', '--db', dir]);
    const listening = /on 127\.0\.0\.1:(\d+)[\s\S]*Ctrl-C/;
    await run.until((stdout) => listening.test(stdout));
    const port = Number(listening.exec(run.stdout)![1]);
    expect(run.stdout).toContain(`psql -h 127.0.0.1 -p ${port} -U postgres postgres`);
    const { stdout: rows } = await psql('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-Atc',
      "SELECT value FROM gpt2sql.meta WHERE key = 'format_version'"]);
    expect(rows.trim()).toMatch(/^\d+$/);
    run.kill(signal);
    const ending = await run.ended;
    expect(ending.stderr.split('\n').filter((line) => line !== '')).toEqual([
      `gpt2sql: stopping the server (${again} again to quit at once)`,
      `gpt2sql: interrupted by ${signal}: stopped serving ${dir}; the database is closed`,
    ]);
    expect(ending.code).toBe(code);
    expect(existsSync(join(dir, 'gpt2sql.lock'))).toBe(false);
    const models = await runCli(['models', '--json', '--db', dir]); // the next command opens it
    expect(models.stderr).toBe('');
    expect(models.stdout.trim()).toBe('[]');
  });

});
