// The contract between `npm run bench` (run-all.ts) and each `electron/perf/*-bench.ts`: a bench module
// default-exports one async function taking a BenchContext and returning a BenchReport. run-all writes
// every report's markdown into docs/benchmarks.md and its results into docs/bench-results.json.

export interface BenchContext {
  /** Repository root. */
  root: string;
  /** `--quick`: fewer repetitions/items (CI, busy machines). */
  quick: boolean;
  /** Progress lines for the terminal (not written to the report). */
  log(message: string): void;
}

export interface BenchReport {
  /** Short stable key (`engine`, `ui`): the section's key in bench-results.json. */
  name: string;
  /** Section heading in docs/benchmarks.md. */
  title: string;
  /** The section body (markdown, no top-level heading). */
  markdown: string;
  /** Machine-readable figures (numbers in ms, bytes, items/s; names say the unit). */
  results: Record<string, unknown>;
}

export type BenchModule = { default: (ctx: BenchContext) => Promise<BenchReport> };

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Markdown table from a header and rows (cells already formatted). */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

export function fmtBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}
