// Resolves a checkpoint source to a local directory, downloading from the Hugging Face hub into the
// standard cache layout (shared with Python's huggingface_hub):
//   <cache>/models--org--name/refs/main             commit hash
//   <cache>/models--org--name/blobs/<etag>          file contents
//   <cache>/models--org--name/snapshots/<commit>/…  symlinks to blobs
// @huggingface/hub speaks the hub's protocol; the cache is written here because its own
// downloadFileToCacheDir reports no progress and logs to stdout.
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import type { PathInfo } from '@huggingface/hub';
import { GptSqlError } from '../errors.ts';
import { unreadable } from './file-errors.ts';
import { readShardNames } from './open-checkpoint.ts';

export interface DownloadProgress {
  /** Path in the repo of the file being downloaded. */
  file: string;
  /** Bytes written so far, over every file this call downloads. */
  bytesDone: number;
  /** Bytes this call downloads in all (files already in the cache do not count). */
  bytesTotal: number;
}

export interface ResolveSourceOptions {
  /** Called when a file starts and as bytes arrive. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Default: HF_ENDPOINT, else https://huggingface.co. */
  hubUrl?: string;
  /** Default: the Hugging Face cache (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** Branch, tag or commit hash. Default main. */
  revision?: string;
}

/** Where one repo lives on the hub and in the cache. */
interface Repo {
  id: string;
  hubUrl: string;
  revision: string;
  storage: string;
  accessToken?: string;
}

const BASE_FILES = ['config.json', 'vocab.json', 'merges.txt'];
const WEIGHTS = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';
const HUB_ID = /^[\w][\w.-]*(\/[\w][\w.-]*)?$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** The hub client, imported by the first source that is not a local directory (loading it takes a while). */
let hub: typeof import('@huggingface/hub');

/**
 * Returns a local checkpoint directory for `source`: the directory itself, or the cached snapshot of
 * a hub model, downloading what is missing. A complete cached snapshot is used without the network.
 *
 * @example
 * const dir = await resolveSource('openai-community/gpt2-medium', {
 *   onProgress: ({ file, bytesDone, bytesTotal }) => bar.update(bytesDone / bytesTotal, file),
 * });
 */
export async function resolveSource(source: string, options: ResolveSourceOptions = {}): Promise<string> {
  const local = await stat(source).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw unreadable(source, error);
  });
  if (local?.isDirectory()) return resolve(source);
  if (local) throw new GptSqlError(`${source} is a file; pass the directory that holds config.json and model.safetensors`);
  if (!HUB_ID.test(source)) {
    throw new GptSqlError(
      `${source} is neither a directory nor a hub model id (like gpt2 or openai-community/gpt2-medium); check the path`,
    );
  }
  hub ??= await import('@huggingface/hub');
  const repo: Repo = {
    id: source,
    hubUrl: (options.hubUrl ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    revision: options.revision ?? 'main',
    storage: join(options.cacheDir ?? hub.getHFHubCachePath(), hub.getRepoFolderName({ type: 'model', name: source })),
    accessToken: process.env.HF_TOKEN || undefined,
  };
  const cached = await cachedSnapshot(repo);
  if (cached) return cached;
  if (process.env.HF_HUB_OFFLINE === '1') {
    throw new GptSqlError(
      `${source} is not in the Hugging Face cache and HF_HUB_OFFLINE=1 forbids downloading it; ` +
        'unset HF_HUB_OFFLINE to download it, or pass a local checkpoint directory',
    );
  }
  try {
    return await download(repo, options.onProgress ?? (() => {}));
  } catch (error) {
    throw explainHubError(error, repo);
  }
}

async function cachedSnapshot(repo: Repo): Promise<string | undefined> {
  const commit = COMMIT.test(repo.revision)
    ? repo.revision
    : (await readFile(join(repo.storage, 'refs', repo.revision), 'utf8').catch(() => '')).trim();
  if (!commit) return undefined;
  const snapshot = join(repo.storage, 'snapshots', commit);
  const has = (file: string) => exists(join(snapshot, file));
  if (!(await everyAsync(BASE_FILES, has))) return undefined;
  if (await has(WEIGHTS)) return snapshot;
  if (!(await has(INDEX))) return undefined;
  return (await everyAsync(await readShardNames(join(snapshot, INDEX)), has)) ? snapshot : undefined;
}

async function download(repo: Repo, onProgress: (progress: DownloadProgress) => void): Promise<string> {
  const { sha: commit } = await hub.modelInfo({ ...hubParams(repo), name: repo.id, revision: repo.revision, additionalFields: ['sha'] });
  if (commit !== repo.revision) {
    await mkdir(join(repo.storage, 'refs'), { recursive: true });
    await writeFile(join(repo.storage, 'refs', repo.revision), commit);
  }
  const snapshot = join(repo.storage, 'snapshots', commit);
  const files = await filesToDownload(repo, commit, snapshot);
  const missing: PathInfo[] = [];
  for (const file of files) if (!(await exists(join(snapshot, file.path)))) missing.push(file);
  const progress = { file: '', bytesDone: 0, bytesTotal: missing.reduce((sum, file) => sum + file.size, 0) };
  for (const file of missing) {
    await downloadToCache(repo, commit, file, (bytes) => {
      progress.file = file.path;
      progress.bytesDone += bytes;
      onProgress({ ...progress });
    });
  }
  return snapshot;
}

/** The files open-checkpoint reads, as the hub lists them; a sharded index is fetched first to learn its shards. */
async function filesToDownload(repo: Repo, commit: string, snapshot: string): Promise<PathInfo[]> {
  const found = await hub.pathsInfo({ ...hubParams(repo), paths: [...BASE_FILES, WEIGHTS, INDEX], revision: commit });
  const byPath = new Map(found.filter((file) => file.type === 'file').map((file) => [file.path, file]));
  const absent = BASE_FILES.filter((path) => !byPath.has(path));
  if (absent.length > 0) throw new GptSqlError(`${repo.id} on the hub has no ${absent.join(', ')}, which gpt2sql needs; load a checkpoint that has them`);
  const base = BASE_FILES.map((path) => byPath.get(path)!);
  if (byPath.has(WEIGHTS)) return [...base, byPath.get(WEIGHTS)!];
  const index = byPath.get(INDEX);
  if (!index) throw new GptSqlError(`${repo.id} on the hub has no ${WEIGHTS}; gpt2sql reads safetensors only: convert the checkpoint and load its directory`);
  if (!(await exists(join(snapshot, INDEX)))) await downloadToCache(repo, commit, index, () => {});
  const shards = await readShardNames(join(snapshot, INDEX));
  const shardInfo = await hub.pathsInfo({ ...hubParams(repo), paths: shards, revision: commit });
  if (shardInfo.length !== shards.length) throw new GptSqlError(`${repo.id} on the hub lacks shards its ${INDEX} names; load a checkpoint directory that has them all`);
  return [...base, ...shardInfo];
}

/** Downloads one file to blobs/<etag> (via a .incomplete file) and links it from the snapshot. */
async function downloadToCache(repo: Repo, commit: string, file: PathInfo, onBytes: (bytes: number) => void): Promise<void> {
  const etag = file.lfs?.oid ?? file.xetHash ?? file.oid;
  if (!etag) throw new GptSqlError(`the hub gave no hash for ${file.path} of ${repo.id}; try again later`);
  const blob = join(repo.storage, 'blobs', etag);
  if (!(await exists(blob))) {
    const data = await hub.downloadFile({ ...hubParams(repo), path: file.path, revision: commit });
    if (!data) throw new GptSqlError(`${file.path} vanished from ${repo.id} during the download; try again`);
    await mkdir(dirname(blob), { recursive: true });
    onBytes(0);
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        onBytes(chunk.length);
        done(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(data.stream() as ReadableStream), counter, createWriteStream(`${blob}.incomplete`));
    await rename(`${blob}.incomplete`, blob);
  }
  const pointer = join(repo.storage, 'snapshots', commit, file.path);
  await mkdir(dirname(pointer), { recursive: true });
  await rm(pointer, { force: true });
  await symlink(relative(dirname(pointer), blob), pointer);
}

function hubParams(repo: Repo) {
  return { repo: { type: 'model' as const, name: repo.id }, hubUrl: repo.hubUrl, accessToken: repo.accessToken };
}

/** Turns hub and network failures into one line that says what to do. */
function explainHubError(error: unknown, repo: Repo): unknown {
  if (error instanceof hub.HubApiError && (error.statusCode === 404 || error.statusCode === 401)) {
    return new GptSqlError(
      `${repo.id} is not a local directory, and the hub at ${repo.hubUrl} has no model ${repo.id}` +
        `${repo.revision === 'main' ? '' : ` at revision ${repo.revision}`}; ` +
        'check the name (like gpt2 or openai-community/gpt2-medium), or for a private or gated model set HF_TOKEN',
    );
  }
  if (error instanceof hub.HubApiError && error.statusCode === 403) {
    return new GptSqlError(`${repo.id} is gated; accept its terms on the hub, then set HF_TOKEN to a token of yours`);
  }
  if (error instanceof hub.HubApiError) {
    return new GptSqlError(`the hub at ${repo.hubUrl} answered ${error.statusCode} for ${repo.id} (${oneLine(error.message)}); try again later`);
  }
  const code = networkErrorCode(error);
  if (code) {
    return new GptSqlError(
      `cannot reach the Hugging Face hub at ${repo.hubUrl} (${code}); ` +
        'check your connection or HF_ENDPOINT, or pass a local checkpoint directory',
    );
  }
  return error;
}

/** The hub's own words, on one line and without a closing period, to sit inside a message of ours. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}

/** fetch() fails with TypeError('fetch failed') whose cause carries the system error code. */
function networkErrorCode(error: unknown): string | undefined {
  if (!(error instanceof TypeError) || error.message !== 'fetch failed') return undefined;
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? 'network error';
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function everyAsync<T>(items: T[], test: (item: T) => Promise<boolean>): Promise<boolean> {
  for (const item of items) if (!(await test(item))) return false;
  return true;
}
