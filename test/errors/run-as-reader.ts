import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliResult } from '../helpers/run-cli.ts';

const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));

/** uid/gid of `nobody` on Debian and most Linux systems. */
const NOBODY = 65534;

/**
 * Runs the real `gpt2sql` as a user that file permissions apply to. Tests run as root in CI
 * containers, and root reads a chmod 000 file anyway; there the CLI runs as `nobody` instead, so
 * an unreadable checkpoint fails for real (EACCES) rather than the test pretending it does.
 */
export function runCliAsReader(args: string[]): Promise<CliResult> {
  const asRoot = process.getuid?.() === 0;
  const identity = asRoot ? { uid: NOBODY, gid: NOBODY } : {};
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { ...identity, env: { ...process.env, HOME: '/tmp' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}
