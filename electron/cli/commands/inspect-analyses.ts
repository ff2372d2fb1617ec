// The self-zoom and faithfulness parts of `loupe inspect`'s report: JSON fields and the human lines.
import type { ActivationResult, FaithfulnessResult, SelfZoomResult } from '../../contract/analyses.js';
import type { AnalysisResult, Judgement, QuestionType } from '../../contract/types.js';
import { judgeAnswer } from '../../engine/bench/judge.js';
import { fmt, pct } from './common.js';

export interface JudgedAnswer {
  judgement: Judgement;
  extracted: string;
  reason: string;
}

export type InspectSelfZoom = Omit<SelfZoomResult, 'tokens' | 'geometry'> & {
  tokens: { text: string; prob: number }[];
  grid: { gridH: number; gridW: number };
  judgement?: JudgedAnswer;
};

function judged(answer: string, truth: { answer: string; questionType: QuestionType }, question: string): JudgedAnswer {
  const j = judgeAnswer(answer, truth.answer, truth.questionType, question);
  return { judgement: j.judgement, extracted: j.extracted, reason: j.reason };
}

export function analysesReport(
  result: AnalysisResult,
  truth: { answer: string; questionType: QuestionType } | undefined,
): { judgement?: JudgedAnswer; selfZoom?: InspectSelfZoom; faithfulness?: FaithfulnessResult; activation?: ActivationResult } {
  const out: { judgement?: JudgedAnswer; selfZoom?: InspectSelfZoom; faithfulness?: FaithfulnessResult; activation?: ActivationResult } =
    {};
  if (truth) out.judgement = judged(result.answer, truth, result.question);
  if (result.selfZoom) {
    const { tokens, geometry, ...rest } = result.selfZoom;
    out.selfZoom = {
      ...rest,
      tokens: tokens.map((t) => ({ text: t.text, prob: t.prob })),
      grid: { gridH: geometry.gridH, gridW: geometry.gridW },
      ...(truth ? { judgement: judged(rest.answer, truth, result.question) } : {}),
    };
  }
  if (result.faithfulness) out.faithfulness = result.faithfulness;
  if (result.activation) out.activation = result.activation;
  return out;
}

const layersLabel = (l: [number, number]) => (l[0] === l[1] ? `layer ${l[0]}` : `layers ${l[0]}-${l[1]}`);

export function analysesLines(r: {
  selfZoom?: InspectSelfZoom;
  faithfulness?: FaithfulnessResult;
  activation?: ActivationResult;
}): string[] {
  const lines: string[] = [];
  const a = r.activation;
  if (a) {
    lines.push(
      `activation per answer token: relu(h_v . u_token) over the visual cells${a.contextCorrection ? ', earlier tokens’ interference removed' : ''}; rho = Spearman with the token's attention map (layer ${a.layer}, mean of heads)`,
    );
    for (const t of a.tokens)
      lines.push(
        `          ${JSON.stringify(t.text)}  rho ${t.spearman === null ? 'n/a' : fmt(t.spearman, 3)}${t.metrics ? `  coverage paper ${fmt(t.metrics.coveragePaper)}  pointing ${t.metrics.pointing ? 'hit' : 'miss'}` : ''}`,
      );
  }
  const sz = r.selfZoom;
  if (sz) {
    const rule = sz.rule.mode === 'fixed' ? `fixed ${sz.rule.fraction} of each side` : `adaptive, base side ${sz.rule.baseSide} px`;
    lines.push(
      `self-zoom crop [${sz.box.join(', ')}] from ${layersLabel(sz.layers)}${sz.relative ? ' (relative)' : ''} head-mean map, ${rule}; window holds ${pct(sz.windowMass)} of the map`,
    );
    if (sz.iou !== undefined)
      lines.push(`          IoU with the key box ${fmt(sz.iou, 3)}, key-box centre ${sz.centreInside ? 'inside' : 'outside'} the crop`);
    lines.push(
      `          answer on ${sz.input === 'crop+full' ? 'the full image + the crop (ViCrop input)' : 'the crop'}: ${JSON.stringify(sz.answer)}${sz.judgement ? ` (${sz.judgement.judgement})` : ''}, ${fmt(sz.ms, 0)} ms`,
    );
  }
  const f = r.faithfulness;
  if (f) {
    lines.push(
      `deletion  removal: cell rectangles mean-filled (rgb ${f.fill.join(',')}); probability of the first answer token ${JSON.stringify(f.token.text)} = ${pct(f.token.prob)} on the original`,
    );
    for (const [layer, c] of Object.entries(f.attention)) {
      const pts = c.points.slice(1).map((p) => `${pct(p.fraction)}: ${pct(p.prob)}${p.changed ? '*' : ''}`);
      lines.push(`          layer ${layer} top cells  ${pts.join('  ')}  area ${fmt(c.area, 3)}`);
    }
    const first = f.random.curves[0];
    if (first) {
      const pts = first.points.slice(1).map((p, i) => {
        const mean = f.random.curves.reduce((a, c) => a + c.points[i + 1].prob, 0) / f.random.curves.length;
        return `${pct(p.fraction)}: ${pct(mean)}`;
      });
      lines.push(`          random (${f.random.seeds.length} seeds, mean)  ${pts.join('  ')}  area ${fmt(f.random.meanArea, 3)}`);
    }
    if (f.box)
      lines.push(
        `          key box (${pct(f.box.fraction)} of cells)  ${pct(f.box.prob)}${f.box.changed ? '*' : ''}  drop ${fmt(f.box.drop, 3)}`,
      );
    lines.push(
      `          area = mean probability under the curve (lower = the map found what the answer needs); * = answer changed; ${fmt(f.ms, 0)} ms`,
    );
  }
  return lines;
}
