// `npm run bench`: runs every electron/perf/*-bench.ts (or those whose name contains one of the
// arguments: `npm run bench -- engine`), then writes docs/benchmarks.md and docs/bench-results.json.
// A partial run keeps the other sections from the previous bench-results.json, so the markdown always
// shows every section, each stamped with when and where it was measured. `--quick` shortens every bench.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchModule, BenchReport } from './types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');

interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  loadAverage: number[];
  commit: string;
}

interface StoredSection extends BenchReport {
  measuredAt: string;
  machine: Machine;
  seconds: number;
  error?: string;
}

interface ResultsFile {
  generatedAt: string;
  sections: Record<string, StoredSection>;
}

function machine(): Machine {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    commit,
  };
}

function render(file: ResultsFile): string {
  const parts = [
    '# Loupe benchmarks',
    '',
    '_Written by `npm run bench` (electron/perf/run-all.ts); do not edit by hand. Raw figures: [bench-results.json](bench-results.json)._',
  ];
  for (const s of Object.values(file.sections).sort((a, b) => a.name.localeCompare(b.name))) {
    const m = s.machine;
    parts.push(
      '',
      `## ${s.title}`,
      '',
      `Measured ${s.measuredAt} at commit ${m.commit} on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), ${m.os}, Node ${m.node}; load average at start ${m.loadAverage.join(' / ')}; took ${s.seconds.toFixed(0)} s.`,
      '',
    );
    parts.push(s.error ? `**Failed:** ${s.error}` : s.markdown);
  }
  return `${parts.join('\n')}\n`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const filters = args.filter((a) => !a.startsWith('--'));
  const files = readdirSync(HERE)
    .filter((f) => /-bench\.ts$/.test(f) && (filters.length === 0 || filters.some((x) => f.includes(x))))
    .sort();
  if (files.length === 0) {
    console.error(
      `No bench matches ${filters.join(', ')}; available: ${readdirSync(HERE)
        .filter((f) => f.endsWith('-bench.ts'))
        .join(', ')}`,
    );
    process.exitCode = 2;
    return;
  }
  const jsonPath = join(ROOT, 'docs/bench-results.json');
  const readResults = (): ResultsFile =>
    existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as ResultsFile) : { generatedAt: '', sections: {} };
  const measured: Record<string, StoredSection> = {};
  let failed = false;
  for (const f of files) {
    const m = machine();
    const started = performance.now();
    console.log(`bench ${f}${quick ? ' (quick)' : ''}`);
    let section: StoredSection;
    try {
      const mod = (await import(pathToFileURL(join(HERE, f)).href)) as BenchModule;
      const report = await mod.default({ root: ROOT, quick, log: (msg) => console.log(msg) });
      section = { ...report, measuredAt: new Date().toISOString(), machine: m, seconds: (performance.now() - started) / 1000 };
    } catch (err) {
      failed = true;
      const name = f.replace(/-bench\.ts$/, '');
      console.error(`bench ${f} failed:`, err);
      section = {
        name,
        title: name,
        markdown: '',
        results: {},
        measuredAt: new Date().toISOString(),
        machine: m,
        seconds: (performance.now() - started) / 1000,
        error: err instanceof Error ? err.message : String(err),
      };
    }
    measured[section.name] = section;
  }
  // Read again just before writing: a full-size run takes hours, and sections measured meanwhile by another
  // `npm run bench -- SECTION` must not be overwritten with the copy read when this run started.
  const previous = readResults();
  Object.assign(previous.sections, measured);
  previous.generatedAt = new Date().toISOString();
  // Paths inside the checkout are written relative to it: the file is committed and read on other machines.
  const relative = (_key: string, value: unknown): unknown =>
    typeof value === 'string' && value.startsWith(`${ROOT}/`) ? value.slice(ROOT.length + 1) : value;
  writeFileSync(jsonPath, `${JSON.stringify(previous, relative, 2)}\n`);
  writeFileSync(join(ROOT, 'docs/benchmarks.md'), render(previous));
  console.log(`wrote docs/benchmarks.md and docs/bench-results.json`);
  if (failed) process.exitCode = 1;
}

await main();
