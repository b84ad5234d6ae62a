import { GptSqlError } from '../errors.ts';

/** Why a file system call failed, in words, and what to do about it (PATH stands for the path). */
const ADVICE: Record<string, string> = {
  EACCES: 'permission denied; make it readable (e.g. chmod -R a+rX PATH, and a+x on the directories above) or run gpt2sql as a user who can read it',
  EPERM: 'operation not permitted; make it readable or run gpt2sql as a user who can read it',
  EISDIR: 'it is a directory where a file was expected; put the checkpoint files there instead',
  ENOTDIR: 'a part of the path is a file, not a directory; check the path',
  ELOOP: 'it is a symbolic link that points back to itself; fix the link',
  EIO: 'the disk reported an I/O error; copy or download the checkpoint again',
};

/**
 * A GptSqlError for a checkpoint file or directory that exists but cannot be read.
 *
 * @example
 * await readFile(path).catch((error) => { throw unreadable(path, error); });
 */
export function unreadable(path: string, error: unknown): GptSqlError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const advice = ADVICE[code]?.replace('PATH', path) ?? `${(error as Error).message}; check that the checkpoint files are readable`;
  return new GptSqlError(`cannot read ${path}: ${advice}`);
}
