// A local imitation of the Hugging Face hub, serving model repos from directories, with the
// endpoints @huggingface/hub (and Python's huggingface_hub) use to download files:
//   GET  /api/models/{id}/revision/{rev}     model info, `sha` = commit
//   POST /api/models/{id}/paths-info/{rev}   {paths} -> [{type, path, oid, size, lfs?}]
//   GET  /api/models/{id}/tree/{rev}         every file, same shape
//   GET|HEAD /{id}/resolve/{rev}/{path}      file bytes, Range supported, ETag / X-Linked-* / X-Repo-Commit
// Unknown repos answer 404 with X-Error-Code: RepoNotFound, unknown files EntryNotFound, as the hub does.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

export interface FakeHubRequest {
  method: string;
  url: string;
  range?: string;
}

export interface FakeHub {
  /** Base URL to pass as hubUrl / HF_ENDPOINT. */
  url: string;
  /** Every request served, in order. */
  requests: FakeHubRequest[];
  close(): Promise<void>;
}

interface RepoFile {
  path: string;
  size: number;
  /** Git blob id (sha1), what the hub reports as oid. */
  oid: string;
  /** sha256 of the contents for files the hub keeps in LFS. */
  lfsOid?: string;
  absolute: string;
}

const LFS_FILE = /\.(safetensors|bin|h5|msgpack|ot|onnx)$/;

/**
 * Serves `repos` (hub id -> local directory) on 127.0.0.1 at a free port.
 *
 * @example
 * const hub = await startFakeHub({ repos: { gpt2: await tinyCheckpoint() } });
 * await resolveSource('gpt2', { hubUrl: hub.url, cacheDir });
 * await hub.close();
 */
export async function startFakeHub(options: { repos: Record<string, string> }): Promise<FakeHub> {
  const requests: FakeHubRequest[] = [];
  const listings = new Map<string, Promise<RepoFile[]>>();
  const filesOf = (id: string) => {
    if (!listings.has(id)) listings.set(id, listRepo(options.repos[id]));
    return listings.get(id)!;
  };
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', range: request.headers.range });
    route(request, response, options.repos, filesOf).catch((error) => {
      if (!response.headersSent) sendJson(response, 500, { error: String(error) });
      response.end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((done) => server.close(() => done()));
    },
  };
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  repos: Record<string, string>,
  filesOf: (id: string) => Promise<RepoFile[]>,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://hub');
  const api = /^\/api\/models\/(.+)\/(revision|paths-info|tree)\/([^/]+)$/.exec(decodeURIComponent(url.pathname));
  const resolve = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(decodeURIComponent(url.pathname));
  const [id, revision] = api ? [api[1], api[3]] : resolve ? [resolve[1], resolve[2]] : [];
  if (id === undefined || !(id in repos)) return notFound(response, 'RepoNotFound', 'Repository not found');
  const commit = createHash('sha1').update(`${id}\0${repos[id]}`).digest('hex');
  if (revision !== 'main' && revision !== 'HEAD' && revision !== commit) {
    return notFound(response, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  }
  const files = await filesOf(id);
  if (api?.[2] === 'revision') return sendJson(response, 200, modelInfo(id, commit, files));
  if (api?.[2] === 'tree') return sendJson(response, 200, files.map(pathInfo));
  if (api?.[2] === 'paths-info') {
    const { paths } = JSON.parse(await readBody(request)) as { paths: string[] };
    return sendJson(response, 200, files.filter((file) => paths.includes(file.path)).map(pathInfo));
  }
  const file = files.find((candidate) => candidate.path === resolve![3]);
  if (!file) return notFound(response, 'EntryNotFound', 'Entry not found');
  sendFile(request, response, file, commit);
}

function sendFile(request: IncomingMessage, response: ServerResponse, file: RepoFile, commit: string): void {
  const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  const end = range && range[2] !== '' ? Math.min(Number(range[2]), file.size - 1) : file.size - 1;
  response.writeHead(range ? 206 : 200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(end - start + 1),
    'Accept-Ranges': 'bytes',
    ETag: `"${file.lfsOid ?? file.oid}"`,
    'X-Repo-Commit': commit,
    ...(range && { 'Content-Range': `bytes ${start}-${end}/${file.size}` }),
    ...(file.lfsOid && { 'X-Linked-ETag': `"${file.lfsOid}"`, 'X-Linked-Size': String(file.size) }),
  });
  if (request.method === 'HEAD' || end < start) {
    response.end();
    return;
  }
  createReadStream(file.absolute, { start, end }).pipe(response);
}

function modelInfo(id: string, commit: string, files: RepoFile[]) {
  return {
    _id: createHash('sha1').update(id).digest('hex').slice(0, 24),
    id,
    sha: commit,
    private: false,
    gated: false,
    downloads: 0,
    likes: 0,
    lastModified: '2024-01-01T00:00:00.000Z',
    pipeline_tag: 'text-generation',
    siblings: files.map((file) => ({ rfilename: file.path })),
  };
}

function pathInfo(file: RepoFile) {
  return {
    type: 'file',
    path: file.path,
    oid: file.oid,
    size: file.size,
    ...(file.lfsOid && { lfs: { oid: file.lfsOid, size: file.size, pointerSize: 134 } }),
  };
}

async function listRepo(dir: string): Promise<RepoFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: RepoFile[] = [];
  for (const entry of entries.filter((candidate) => candidate.isFile() || candidate.isSymbolicLink())) {
    const absolute = join(entry.parentPath ?? entry.path, entry.name);
    const bytes = await readFile(absolute);
    const oid = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    const lfsOid = LFS_FILE.test(entry.name) ? createHash('sha256').update(bytes).digest('hex') : undefined;
    files.push({ path: relative(dir, absolute).split('\\').join('/'), size: bytes.length, oid, lfsOid, absolute });
  }
  return files;
}

function notFound(response: ServerResponse, code: string, message: string): void {
  sendJson(response, 404, { error: message }, { 'X-Error-Code': code, 'X-Error-Message': message });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
