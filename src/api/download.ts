import { resolveSource, type DownloadProgress } from '../checkpoint/hub-download.ts';
import { openCheckpoint } from '../checkpoint/open-checkpoint.ts';

export interface DownloadOptions {
  /** The download's bytes as they arrive (not called for a local directory or files already cached). */
  onProgress?(progress: DownloadProgress): void;
  /**
   * Stops waiting for the download: the promise rejects with `signal.reason`. Files already in
   * the cache stay there, and the next call downloads only what is missing.
   */
  signal?: AbortSignal;
}

/**
 * The directory of a checkpoint, checked (config, tokenizer files, tensors' names and shapes): a
 * local Hugging Face directory as it is, or a hub id (gpt2, openai-community/gpt2-medium)
 * downloaded into the Hugging Face cache ($HF_HOME; HF_ENDPOINT for a mirror). Needs no
 * database: download first, so a bad source fails before one opens, then load with `directory`.
 *
 * @example
 * const directory = await download('distilgpt2', { onProgress: ({ bytesDone, bytesTotal }) => console.log(bytesDone, bytesTotal) });
 * await gpt2.load('distilgpt2', { directory });
 */
export async function download(source: string, options: DownloadOptions = {}): Promise<string> {
  const directory = await checkpointDirectory(source, options);
  await (await openCheckpoint(directory)).close();
  return directory;
}

/** download without the check: for a load, which opens the checkpoint itself. */
export async function checkpointDirectory(source: string, { onProgress, signal }: DownloadOptions = {}): Promise<string> {
  const resolved = resolveSource(source, { onProgress });
  if (!signal) return resolved;
  let onAbort = () => {};
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([resolved, stopped]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
