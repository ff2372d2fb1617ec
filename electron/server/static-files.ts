// Serves the built renderer (dist/renderer) and nothing else: paths are resolved inside the folder,
// symlinks included, so `..` or an encoded slash cannot reach another file.
import { createReadStream, realpathSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, relative, isAbsolute, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** Shown when dist/renderer has not been built: says exactly what to run. No inline script (CSP). */
const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Loupe: renderer not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>The Loupe renderer is not built</h1>
<p>The engine is running, but <code>dist/renderer/index.html</code> is missing.
Run <code>npm run build</code> in the Loupe folder, then reload this page (the server keeps running).</p>
</body></html>`;

function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const candidate = join(root, decoded);
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return null;
  }
  const rel = relative(root, real);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  return real;
}

export interface StaticResult {
  status: number;
}

/**
 * Writes the response for a GET/HEAD of `urlPath`. Paths without an extension fall back to
 * index.html so that reloading a view's URL works.
 */
export function serveStatic(rendererDir: string, urlPath: string, head: boolean, res: ServerResponse): StaticResult {
  let root: string;
  try {
    root = realpathSync(rendererDir);
  } catch {
    root = '';
  }
  const wantsPage = urlPath === '/' || extname(urlPath) === '';
  let file = root ? resolveInside(root, urlPath === '/' ? '/index.html' : urlPath) : null;
  if (file && !statSync(file).isFile()) file = null;
  if (!file && wantsPage && root) file = resolveInside(root, '/index.html');
  if (!file) {
    if (wantsPage) {
      res.writeHead(503, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(head ? undefined : NOT_BUILT_PAGE);
      return { status: 503 };
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(head ? undefined : `Not found: ${urlPath}\n`);
    return { status: 404 };
  }
  const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
  const size = statSync(file).size;
  // index.html carries no hash in its name: never cache it; hashed assets can be cached.
  const cache = file.endsWith('index.html') ? 'no-store' : 'private, max-age=3600';
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(size), 'Cache-Control': cache });
  if (head) res.end();
  else createReadStream(file).pipe(res);
  return { status: 200 };
}
