#!/usr/bin/env node
// The `loupe` command. It runs the TypeScript sources directly through tsx's programmatic loader, so
// it works right after `npm install` with no build step (and never runs a stale build). A packaged
// app ships no sources: there it runs the esbuild bundle dist/electron/cli.js instead. Set
// LOUPE_USE_DIST=1 to force the bundle from a checkout (e.g. to time start-up without tsx).
import { existsSync } from 'node:fs';

const source = new URL('../electron/cli/main.ts', import.meta.url);
const bundle = new URL('../dist/electron/cli.js', import.meta.url);

async function load() {
  if (existsSync(source) && process.env.LOUPE_USE_DIST !== '1') {
    let tsx;
    try {
      tsx = await import('tsx/esm/api');
    } catch {
      if (!existsSync(bundle)) {
        process.stderr.write(
          'loupe: cannot run: tsx is not installed (run `npm install`) and there is no build (run `npm run build:electron`).\n',
        );
        process.exit(7);
      }
      return import(bundle.href);
    }
    return tsx.tsImport(source.href, import.meta.url);
  }
  if (existsSync(bundle)) return import(bundle.href);
  process.stderr.write(`loupe: cannot run: neither ${source.pathname} nor ${bundle.pathname} exists.\n`);
  process.exit(7);
}

const cli = await load();
process.exitCode = await cli.main(process.argv.slice(2));
