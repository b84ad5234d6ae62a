import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GptSqlError } from '../errors.ts';

export const LOCK_FILE = 'gpt2sql.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is a single-process database: two processes on one directory would corrupt it.
 * A lock file holding our pid guards the directory; a stale one (dead pid) is taken over.
 * Returns the function that releases the lock.
 */
export function acquireDirectoryLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number(readFileSync(path, 'utf8'));
    if (holder !== process.pid && isAlive(holder)) {
      throw new GptSqlError(
        `the database ${dir} is in use by another gpt2sql process (pid ${holder}); ` +
          'wait for it to finish, or use another --db directory',
      );
    }
    writeFileSync(path, String(process.pid));
  }
  const release = () => rmSync(path, { force: true });
  process.once('exit', release);
  return () => {
    process.removeListener('exit', release);
    release();
  };
}
