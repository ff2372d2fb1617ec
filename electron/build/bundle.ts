// `npm run build:electron`: bundles the Node/Electron side into dist/electron with esbuild.
//   main.js          Electron main process (ESM)
//   preload.cjs      sandboxed preload (CommonJS, everything inlined but `electron`)
//   engine-entry.js  engine host for the utility process (desktop) and worker threads (CLI, serve)
//   cli.js           the `loupe` CLI, used by bin/loupe.js when the sources are absent (packaged app)
// npm packages stay external (node_modules ships with the app; sharp and onnxruntime-node are native).
// The CLI from a checkout does not need this: bin/loupe.js runs the sources through tsx.
import { build, type BuildOptions } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = `${root}dist/electron`;

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
};

// ESM bundles may inline CommonJS helpers that call require(): give them one.
const esm: BuildOptions = {
  ...common,
  format: 'esm',
  packages: 'external',
  banner: {
    js: "import { createRequire as __loupeCreateRequire } from 'node:module'; const require = __loupeCreateRequire(import.meta.url);",
  },
};

export async function bundleElectron(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  await Promise.all([
    build({
      ...esm,
      entryPoints: { main: 'electron/main.ts', 'engine-entry': 'electron/worker/engine-entry.ts', cli: 'electron/cli/main.ts' },
      outdir: out,
      external: ['electron'],
    }),
    build({
      ...common,
      format: 'cjs',
      entryPoints: { preload: 'electron/preload.ts' },
      outdir: out,
      outExtension: { '.js': '.cjs' },
      external: ['electron'],
    }),
  ]);
}

await bundleElectron();
process.stdout.write(`Bundled the Electron/Node side into ${out}\n`);
