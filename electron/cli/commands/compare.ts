// `loupe compare RUN_A RUN_B`: paired comparison of two runs on the same items (e.g. before and after
// R2I fine-tuning): coverage and accuracy deltas with CIs, Wilcoxon test, flipped answers.
import { resolve } from 'node:path';
import { flag, parseCommand, parseIntOption, str } from '../args.js';
import { EXIT, usageError } from '../exit-codes.js';
import type { CliContext } from '../io.js';
import type { CompareSummary } from '../../contract/types.js';
import { fmt, printJson } from './common.js';

export const compareUsage = `loupe compare RUN_A RUN_B [options]

  Compares two batch runs over the same items (run ids from \`loupe bench\`).

  --layer N     1-based layer for coverage (default: the models' default layer)
  --top N       how many most-changed items to list (default 10)
  --runs DIR    results folder (default: the engine's runs folder)
  --json        machine-readable output
`;

const pp = (x: number) => `${x >= 0 ? '+' : ''}${fmt(x * 100, 1)}`;

/** The zoom-need transitions and the opt-in analyses' B - A lines, when both runs have them. */
export function analysesCompareLines(s: Pick<CompareSummary, 'zoomNeed' | 'analyses'>): string[] {
  const out: string[] = [];
  const z = s.zoomNeed;
  if (z)
    out.push(
      `zoom need ${z.items} items classed in both runs: ${z.movedToOnePass.length} moved from "needs a zoom" to "one pass", ${z.lostOnePass.length} left "one pass"`,
    );
  const sz = s.analyses?.selfZoomAccuracy;
  if (sz) {
    const p = sz.paired;
    out.push(
      `self-zoom accuracy ${fmt(sz.a * 100, 1)}% -> ${fmt(sz.b * 100, 1)}% (${pp(sz.delta)} points)${p ? `; paired over ${p.items} items ${pp(p.delta)} [${pp(p.lo)}, ${pp(p.hi)}] 95% CI, right only in A ${p.onlyA}, only in B ${p.onlyB}` : ''}`,
    );
  }
  const d = s.analyses?.deletionArea;
  if (d)
    out.push(
      `deletion  area at layer ${d.layer} ${fmt(d.a, 3)} -> ${fmt(d.b, 3)} (${d.delta >= 0 ? '+' : ''}${fmt(d.delta, 3)}; lower = more faithful), random cells ${fmt(d.randomA, 3)} -> ${fmt(d.randomB, 3)}`,
    );
  return out;
}

export async function runCompare(argv: string[], ctx: CliContext): Promise<number> {
  const p = parseCommand('compare', argv, { layer: { type: 'string' }, top: { type: 'string' }, runs: { type: 'string' } });
  if (p.positionals.length !== 2) throw usageError(`loupe compare needs two run ids; got ${p.positionals.length}.`);
  const [runA, runB] = p.positionals as [string, string];
  const layer = parseIntOption(str(p, 'layer'), 'layer', 1);
  const top = parseIntOption(str(p, 'top'), 'top', 0) ?? 10;
  const runsDir = str(p, 'runs');
  const session = await ctx.openEngine(runsDir ? { runsDir: resolve(ctx.io.cwd, runsDir) } : {});
  try {
    const s = await session.client.call('compare.runs', { runA, runB, ...(layer ? { layer } : {}) }, { signal: ctx.signal });
    if (flag(p, 'json')) {
      printJson(ctx.io, s);
      return EXIT.ok;
    }
    const w = s.wilcoxon;
    const lines = [
      `runs      A ${s.runA}  B ${s.runB}  (${s.pairedItems} paired items, layer ${s.layer})`,
      `coverage  delta mean ${fmt(s.coverageDelta.mean)} [${fmt(s.coverageDelta.lo)}, ${fmt(s.coverageDelta.hi)}] 95% CI, median ${fmt(s.coverageDelta.median)}`,
      `accuracy  delta ${fmt(s.accuracyDelta.mean * 100, 1)} points [${fmt(s.accuracyDelta.lo * 100, 1)}, ${fmt(s.accuracyDelta.hi * 100, 1)}]`,
      `wilcoxon  W=${fmt(w.statistic, 1)} z=${fmt(w.z, 2)} p=${w.pValue < 1e-4 ? w.pValue.toExponential(2) : fmt(w.pValue)} (n=${w.n})`,
      `flipped   ${s.flipped.length} answers`,
      ...s.flipped
        .slice(0, top)
        .map((f) => `  ${f.itemId} ${f.view}: ${f.from} -> ${f.to}  (${JSON.stringify(f.answerA)} -> ${JSON.stringify(f.answerB)})`),
      'most changed coverage',
      ...s.mostChanged
        .slice(0, top)
        .map((m) => `  ${m.itemId}: ${fmt(m.coverageA)} -> ${fmt(m.coverageB)} (${m.delta >= 0 ? '+' : ''}${fmt(m.delta)})`),
    ];
    lines.push(...analysesCompareLines(s));
    ctx.io.out(`${lines.join('\n')}\n`);
    return EXIT.ok;
  } finally {
    await session.dispose();
  }
}
