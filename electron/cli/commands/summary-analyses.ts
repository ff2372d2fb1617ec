// The self-zoom, faithfulness and activation lines of a run summary (`loupe bench`), every number named.
import type { ThreeWayAccuracy } from '../../contract/analyses.js';
import type { RunSummary } from '../../contract/types.js';
import { fmt, pct } from './common.js';

const ci = (x: { mean: number; lo: number; hi: number; n: number }, digits = 3) =>
  `${fmt(x.mean, digits)} [95% CI ${fmt(x.lo, digits)}, ${fmt(x.hi, digits)}] (n=${x.n})`;

function three(label: string, a: ThreeWayAccuracy): string {
  const rec = a.gapRecovered === null ? 'no gap' : `gap recovered ${pct(a.gapRecovered)}`;
  const regional = a.regional.items > 0 ? pct(a.regional.accuracy) : '-';
  return `${label.padEnd(14)} global ${pct(a.global.accuracy)}  self-zoom ${pct(a.selfZoom.accuracy)}  regional ${regional}  (${a.items} items; ${rec})`;
}

export function summaryAnalysesLines(s: RunSummary): string[] {
  const lines: string[] = [];
  const z = s.selfZoom;
  if (z) {
    lines.push(`self-zoom ${three('all items', z.accuracy)}`);
    for (const [k, v] of Object.entries(z.byDimension)) lines.push(`          ${three(k, v)}`);
    for (const [k, v] of Object.entries(z.byQuestionType)) lines.push(`          ${three(k, v)}`);
    const g = z.gapRecovered;
    lines.push(
      `          share of the zooming gap self-zoom recovers: ${g.value === null ? 'n/a (no gap)' : `${pct(g.value)} [95% CI ${pct(g.lo ?? Number.NaN)}, ${pct(g.hi ?? Number.NaN)}]`} over ${g.n} items`,
    );
    lines.push(`          crop vs key box: IoU ${ci(z.iou)}; key-box centre inside the crop for ${pct(z.centreInside)}`);
    const o = z.outcomes;
    lines.push(
      `          per item: ${o.onePass} solved in one pass (${o.selfZoomHurts} of them lost by self-zoom), ${o.selfZoom} fixed by self-zoom, ${o.needsKeyRegion} need the key region, ${o.unsolved} unsolved`,
    );
  }
  const f = s.faithfulness;
  if (f) {
    lines.push(
      `deletion  ${f.items} items, cells mean-filled at ${f.fractions.map(pct).join(', ')} of the visual area; area = mean first-token probability under the curve (lower = more faithful)`,
    );
    for (const [layer, v] of Object.entries(f.byLayer))
      lines.push(`          layer ${layer.padEnd(3)} area ${ci(v.area)}  minus random ${ci(v.minusRandom)}`);
    lines.push(`          random    area ${ci(f.random.area)}`);
    if (f.box) lines.push(`          key box   drop ${ci(f.box.drop)}, answer changed for ${pct(f.box.changed)}`);
    if (f.mostFaithfulLayer !== null) lines.push(`          most faithful layer (lowest mean area): ${f.mostFaithfulLayer}`);
  }
  const a = s.activation;
  if (a) {
    const rate = (x: number | null) => (x === null ? '-' : pct(x));
    const num = (x: number | null) => (x === null ? '-' : fmt(x, 3));
    lines.push(
      `activation ${a.items} items; first answer token's map (relu(h_v . u_token)${a.contextCorrection ? ', context-corrected' : ''}) vs attention (layer ${a.layer}, head mean, query 0)`,
    );
    lines.push(`          Spearman, first token: ${ci(a.spearmanFirst)}; mean over each answer's tokens: ${ci(a.spearmanTokens)}`);
    lines.push(`          paper coverage of the key box: activation ${ci(a.coverage.activation)}  attention ${ci(a.coverage.attention)}`);
    lines.push(
      `          pointing game: activation ${rate(a.pointing.activation)}  attention ${rate(a.pointing.attention)} (${a.pointing.items} items with a box)`,
    );
    for (const [d, g] of Object.entries(a.byDimension))
      lines.push(
        `          ${d.padEnd(14)} rho ${num(g.spearman)}  coverage act ${num(g.coverageActivation)} / att ${num(g.coverageAttention)}  pointing act ${rate(g.pointingActivation)} / att ${rate(g.pointingAttention)}  (${g.items} items)`,
      );
  }
  return lines;
}
