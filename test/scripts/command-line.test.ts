// The scripts' command lines (scripts/command-line.ts): --help prints the script's opening comment
// and exits 0; an unknown option prints the error and the usage, exit 2, no stack trace. Run as a
// user runs a script, on a small script of its own; and every script in scripts/ parses its
// options this way (none calls node's parseArgs directly, which would end in a stack trace).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const FIXTURE = 'test/fixtures/command-line-script.ts';

interface Ran { status: number | null; stdout: string; stderr: string }

/** Runs the fixture script with `args` as `npx tsx` would. */
function run(...args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['--import', 'tsx', FIXTURE, ...args]);
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk) => (out.stdout += chunk));
    child.stderr.on('data', (chunk) => (out.stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, ...out }));
  });
}

/** The leading `//` lines of a file, without the slashes, each trimmed. */
function openingComment(path: string): string {
  const lines = readFileSync(path, 'utf8').split('\n');
  return lines.slice(0, lines.findIndex((line) => !line.startsWith('//'))).map((line) => line.slice(2).trim()).join('\n');
}

const squeeze = (text: string) => text.split('\n').map((line) => line.trim()).join('\n').trim();

describe('the scripts’ command lines', () => {
  it('--help prints the opening comment and exits 0; an unknown option exits 2 with the error and the usage; options still parse', async () => {
    const [help, wrong, given] = await Promise.all([run('--help'), run('--no-such-option'), run('--runs', '3')]);
    const usage = squeeze(openingComment(FIXTURE));
    expect(usage).toContain('--runs N');
    expect({ status: help.status, stdout: squeeze(help.stdout) }).toEqual({ status: 0, stdout: usage });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain("Unknown option '--no-such-option'");
    expect(squeeze(wrong.stderr)).toContain(usage);
    expect(wrong.stderr).not.toMatch(/\n\s+at /);
    expect({ status: given.status, stdout: given.stdout }).toEqual({ status: 0, stdout: 'runs=3\n' });
  });

  it('every script in scripts/ with options parses them with parseCommandLine', () => {
    const scripts = readdirSync('scripts').filter((name) => name.endsWith('.ts') && name !== 'command-line.ts');
    const withOptions = scripts.filter((name) => /parseArgs|parseCommandLine/.test(readFileSync(`scripts/${name}`, 'utf8')));
    expect(withOptions.length).toBeGreaterThanOrEqual(5);
    for (const name of withOptions) {
      const source = readFileSync(`scripts/${name}`, 'utf8');
      expect({ name, direct: /\bparseArgs\(/.test(source), helper: source.includes('parseCommandLine(import.meta.url') }).toEqual({ name, direct: false, helper: true });
    }
  });
});
