// `loupe serve`: the web mode. The renderer and the engine on 127.0.0.1 behind a random token; only
// the files and folders named on this command line (plus the app's own resources) can be opened.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer } from '../../server/server.js';
import { PathRegistry } from '../../server/path-registry.js';
import { appRoot, rendererDir } from '../app-root.js';
import { buildIfStale, rendererTarget } from '../build-on-start.js';
import { flag, parseCommand, parseIntOption, str, strs } from '../args.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import type { CliContext } from '../io.js';

export const serveUsage = `loupe serve [options]

  Serves the Loupe app on http://127.0.0.1 with a random access token in the URL. Open the printed
  URL in a browser. Only what you name here can be opened from the page (besides bundled models
  and benchmarks); everything else is refused.

  --port N          port (default: a free one)
  --model DIR       a model folder to open (repeatable)
  --bench PATH      a benchmark file or folder to open (repeatable)
  --image FILE      an image to allow (repeatable)
  --allow DIR       a folder whose files may be opened or exported to (repeatable)
  --renderer DIR    built renderer (default: dist/renderer)
  --runs DIR        results folder (default: the engine's runs folder)
  --json            print {"url", "port", "token"} as one JSON line
`;

export interface ServeArgs {
  port: number;
  models: string[];
  benches: string[];
  images: string[];
  allow: string[];
  renderer: string;
  runs?: string;
  json: boolean;
}

export function parseServeArgs(argv: string[], cwd: string): ServeArgs {
  const p = parseCommand('serve', argv, {
    port: { type: 'string' },
    model: { type: 'string', multiple: true },
    bench: { type: 'string', multiple: true },
    image: { type: 'string', multiple: true },
    allow: { type: 'string', multiple: true },
    renderer: { type: 'string' },
    runs: { type: 'string' },
  });
  if (p.positionals.length > 0)
    throw usageError(`loupe serve takes no positional arguments (use --model/--bench/--image/--allow); got "${p.positionals[0]}".`);
  const abs = (xs: string[]): string[] => xs.map((x) => resolve(cwd, x));
  const port = parseIntOption(str(p, 'port'), 'port', 0) ?? 0;
  if (port > 65535) throw usageError(`--port must be at most 65535; got ${port}.`);
  const runs = str(p, 'runs');
  return {
    port,
    models: abs(strs(p, 'model')),
    benches: abs(strs(p, 'bench')),
    images: abs(strs(p, 'image')),
    allow: abs(strs(p, 'allow')),
    renderer: str(p, 'renderer') !== undefined ? resolve(cwd, str(p, 'renderer') as string) : rendererDir(),
    ...(runs !== undefined ? { runs: resolve(cwd, runs) } : {}),
    json: flag(p, 'json'),
  };
}

/** Registers what the user named; refuses up front what does not exist (a typo should not pass silently). */
export function registerPaths(args: ServeArgs, registry: PathRegistry): void {
  const need = (path: string, what: string): void => {
    if (!existsSync(path)) throw new CliError(`${what} not found: ${path}`, EXIT.notFound);
  };
  for (const m of args.models) {
    need(m, 'Model folder');
    registry.allowDir(m);
  }
  for (const b of args.benches) {
    need(b, 'Benchmark');
    if (statSync(b).isDirectory()) registry.allowDir(b);
    else registry.allowFile(b);
  }
  for (const i of args.images) {
    need(i, 'Image');
    registry.allowFile(i);
  }
  for (const a of args.allow) {
    need(a, 'Folder');
    registry.allowDir(a);
  }
}

export async function runServe(argv: string[], ctx: CliContext, preface = ''): Promise<number> {
  const args = parseServeArgs(argv, ctx.io.cwd);
  // The default renderer is Loupe's own build: bring it up to date first (a fresh checkout has none).
  if (args.renderer === rendererDir()) await buildIfStale([rendererTarget(appRoot())], appRoot(), ctx);
  const registry = new PathRegistry();
  registerPaths(args, registry);
  const session = await ctx.openEngine(args.runs ? { runsDir: args.runs } : {});
  try {
    for (const dir of args.models) await session.client.call('models.open', { dir });
    for (const path of args.benches) await session.client.call('bench.open', { path });
    const server = await startServer({
      engine: session.handler,
      rendererDir: args.renderer,
      port: args.port,
      registry,
      log: (line) => ctx.io.err(`serve: ${line}\n`),
    });
    if (!existsSync(resolve(args.renderer, 'index.html'))) {
      ctx.io.err(`Note: ${args.renderer}/index.html is missing; the page will say so. Run \`npm run build\` to build the renderer.\n`);
    }
    if (args.json) ctx.io.out(`${JSON.stringify({ url: server.url, port: server.port, token: server.token })}\n`);
    else
      ctx.io.out(
        `${preface}Loupe is running at\n\n  ${server.url}\n\nOpen it in a browser (the token in the URL is the password). Ctrl-C stops it.\n`,
      );
    await new Promise<void>((res) => {
      if (ctx.signal.aborted) return res();
      ctx.signal.addEventListener('abort', () => res(), { once: true });
    });
    await server.close();
    return EXIT.ok;
  } finally {
    await session.dispose();
  }
}
