import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPLORER_DIST, EXPLORER_SOURCE, PACKAGE_ROOT } from '../package-files.ts';

export { EXPLORER_DIST, EXPLORER_SOURCE };

/** Copied as they are, next to the bundle. */
const STATIC_FILES = ['index.html', 'explorer.css', 'favicon.svg'];
const BUNDLE = 'explorer.js';

/** What the server serves, by URL path: each file of dist/explorer and its content type. */
const ASSETS: Record<string, { file: string; contentType: string }> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/explorer.js': { file: BUNDLE, contentType: 'text/javascript; charset=utf-8' },
  '/explorer.js.map': { file: `${BUNDLE}.map`, contentType: 'application/json; charset=utf-8' },
  '/explorer.css': { file: 'explorer.css', contentType: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', contentType: 'image/svg+xml; charset=utf-8' },
};

/**
 * Builds the explorer page into `outDir`: src/explorer/main.ts bundled by esbuild into
 * explorer.js (not minified, so a reader can follow it, with a linked source map holding the
 * TypeScript), and index.html, explorer.css and favicon.svg copied beside it. Each file is written under a
 * temporary name and renamed, so a server reading the directory never sees half a file.
 *
 * @example
 * await buildExplorer('dist/explorer'); // dist/explorer/{index.html, explorer.css, explorer.js, explorer.js.map}
 */
export async function buildExplorer(outDir: string = EXPLORER_DIST): Promise<void> {
  const { build } = await import('esbuild'); // loaded here: the CLI's other commands never need it
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(EXPLORER_SOURCE, 'main.ts')],
    tsconfig: join(EXPLORER_SOURCE, 'tsconfig.json'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: false,
    sourcemap: 'linked',
    outfile: join(outDir, BUNDLE),
    write: false,
    logLevel: 'silent',
  });
  for (const output of result.outputFiles) await writeAtomically(output.path, output.contents);
  for (const file of STATIC_FILES) await writeAtomically(join(outDir, file), await readFile(join(EXPLORER_SOURCE, file)));
}

async function writeAtomically(path: string, contents: Uint8Array): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

/**
 * The newest modification time among the page's sources (every file of src/explorer); 0 in an
 * installed package, which has no sources: its build is never stale.
 */
async function newestSource(): Promise<number> {
  if (!existsSync(EXPLORER_SOURCE)) return 0;
  const entries = await readdir(EXPLORER_SOURCE, { recursive: true, withFileTypes: true });
  const times = await Promise.all(entries.filter((entry) => entry.isFile())
    .map(async (entry) => (await stat(join(entry.parentPath, entry.name))).mtimeMs));
  return Math.max(0, ...times);
}

/** The oldest modification time among the built files; undefined when one is missing. */
async function oldestBuilt(outDir: string): Promise<number | undefined> {
  try {
    const times = await Promise.all([BUNDLE, ...STATIC_FILES].map(async (file) => (await stat(join(outDir, file))).mtimeMs));
    return Math.min(...times);
  } catch {
    return undefined;
  }
}

/** Whether dist/explorer is missing or older than a source. */
async function isStale(outDir: string): Promise<boolean> {
  const built = await oldestBuilt(outDir);
  return built === undefined || built < (await newestSource());
}

let built: Promise<void> | undefined;

/**
 * Builds dist/explorer when it is missing or older than the sources, once a process: every
 * request that arrives meanwhile waits for the same build. A build that fails while an older
 * build exists leaves that one in service (a read-only install, say); with none, the error stays.
 */
function ensureBuilt(): Promise<void> {
  built ??= (async () => {
    if (!(await isStale(EXPLORER_DIST))) return;
    try {
      await buildExplorer(EXPLORER_DIST);
    } catch (error) {
      if ((await oldestBuilt(EXPLORER_DIST)) === undefined) {
        built = undefined; // the next request tries again
        throw new Error(`could not build the explorer page into ${EXPLORER_DIST}: ${(error as Error).message.split('\n')[0]}; run npm run build in ${PACKAGE_ROOT}`);
      }
    }
  })();
  return built;
}

/**
 * The explorer page's file at URL `path` ('/', '/index.html', '/explorer.js', '/explorer.css',
 * '/explorer.js.map', '/favicon.svg'), built first if need be; undefined for any other path.
 *
 * @example
 * await explorerAsset('/'); // { contentType: 'text/html; charset=utf-8', body: <index.html> }
 * await explorerAsset('/etc/passwd'); // undefined
 */
export async function explorerAsset(path: string): Promise<{ contentType: string; body: Buffer } | undefined> {
  const asset = Object.hasOwn(ASSETS, path) ? ASSETS[path] : undefined;
  if (!asset) return undefined;
  await ensureBuilt();
  return { contentType: asset.contentType, body: await readFile(join(EXPLORER_DIST, asset.file)) };
}
