import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A directory in os.tmpdir() that test runs keep and share (the migrated PGlite template, the
 * checkpoint cache), one per user: another user's would be unreadable or unwritable (a template
 * root made is mode 700), so every user who runs the suite on the machine gets their own.
 *
 * @example
 * sharedTempDir('gpt2sql-test-checkpoints'); // /tmp/gpt2sql-test-checkpoints-uid1000
 */
export function sharedTempDir(name: string): string {
  return join(tmpdir(), `${name}-uid${process.getuid?.() ?? 'user'}`);
}
