// `loupe compare RUN_A RUN_B`: paired comparison of two runs on the same items (e.g. before and after
// R2I fine-tuning): coverage and accuracy deltas with CIs, Wilcoxon test, flipped answers.
import { resolve } from 'node:path';
import { flag, parseCommand, parseIntOption, str } from '../args.js';
import { EXIT, usageError } from '../exit-codes.js';
import type { CliContext } from '../io.js';
import { fmt, printJson } from './common.js';

export const compareUsage = `loupe compare RUN_A RUN_B [options]

  Compares two batch runs over the same items (run ids from \`loupe bench\`).

  --layer N     1-based layer for coverage (default: the models' default layer)
  --top N       how many most-changed items to list (default 10)
  --runs DIR    results folder (default: the engine's runs folder)
  --json        machine-readable output
`;

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
    const act = s.analyses?.activation;
    if (act) {
      const d = (x: { a: number; b: number; delta: number }) => `${fmt(x.a)} -> ${fmt(x.b)} (${x.delta >= 0 ? '+' : ''}${fmt(x.delta)})`;
      lines.push(
        `activation first answer token vs attention: mean Spearman ${d(act.spearman)}; paper coverage, activation ${d(act.coverageActivation)}, attention ${d(act.coverageAttention)}`,
      );
    }
    ctx.io.out(`${lines.join('\n')}\n`);
    return EXIT.ok;
  } finally {
    await session.dispose();
  }
}
