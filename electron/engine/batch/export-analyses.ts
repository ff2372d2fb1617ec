// The opt-in analyses in a run's exports (docs/exports.md): per-record CSV columns, summary CSV rows and
// NPZ arrays for self-zoom and faithfulness. Columns and arrays appear only when some record has them,
// so exports of runs without the analyses are unchanged.
import type { BatchRecord, CiStat, RunSummary } from '../../contract/types.js';
import { f32, i32, i8, str, type NpyArray } from '../formats/npy.js';

function deletionLayers(records: readonly BatchRecord[]): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r.faithfulness?.attention ?? {})))].sort((a, b) => Number(a) - Number(b));
}

function deletionFractions(records: readonly BatchRecord[]): number[] {
  const first = records.find((r) => r.faithfulness)?.faithfulness;
  const curve = first ? (Object.values(first.attention)[0] ?? first.random.curves[0]) : undefined;
  return curve ? curve.points.slice(1).map((p) => p.fraction) : [];
}

/** Mean over seeds of the random curves' probability at point i (0 = original). */
function randomProb(r: BatchRecord, i: number): number | undefined {
  const cs = r.faithfulness?.random.curves ?? [];
  const ps = cs.map((c) => c.points[i]?.prob).filter((p): p is number => p !== undefined);
  return ps.length > 0 ? ps.reduce((a, b) => a + b, 0) / ps.length : undefined;
}

/** Extra CSV columns and a row builder for them. */
export function analysesCsvColumns(records: readonly BatchRecord[]): { header: string[]; row: (r: BatchRecord) => unknown[] } {
  const header: string[] = [];
  const builders: ((r: BatchRecord) => unknown)[] = [];
  const col = (name: string, f: (r: BatchRecord) => unknown) => {
    header.push(name);
    builders.push(f);
  };
  if (records.some((r) => r.selfZoom)) {
    col('self_zoom_input', (r) => (r.selfZoom ? (r.selfZoom.input ?? 'crop') : undefined));
    col('self_zoom_box', (r) => r.selfZoom?.box.join(' '));
    col('self_zoom_iou', (r) => r.selfZoom?.iou);
    col('self_zoom_centre_inside', (r) => r.selfZoom?.centreInside);
    col('self_zoom_window_mass', (r) => r.selfZoom?.windowMass);
    col('self_zoom_answer', (r) => r.selfZoom?.answer);
    col('self_zoom_judgement', (r) => r.selfZoom?.judgement);
  }
  if (records.some((r) => r.faithfulness)) {
    const fractions = deletionFractions(records);
    col('deletion_token', (r) => r.faithfulness?.token.text);
    col('deletion_token_prob', (r) => r.faithfulness?.token.prob);
    for (const l of deletionLayers(records)) {
      col(`deletion_L${l}_area`, (r) => r.faithfulness?.attention[l]?.area);
      fractions.forEach((f, i) => col(`deletion_L${l}_prob_at_${f}`, (r) => r.faithfulness?.attention[l]?.points[i + 1]?.prob));
      fractions.forEach((f, i) => col(`deletion_L${l}_changed_at_${f}`, (r) => r.faithfulness?.attention[l]?.points[i + 1]?.changed));
    }
    col('deletion_random_area', (r) => r.faithfulness?.random.meanArea);
    fractions.forEach((f, i) => col(`deletion_random_prob_at_${f}`, (r) => randomProb(r, i + 1)));
    col('deletion_box_fraction', (r) => r.faithfulness?.box?.fraction);
    col('deletion_box_prob', (r) => r.faithfulness?.box?.prob);
    col('deletion_box_changed', (r) => r.faithfulness?.box?.changed);
  }
  return { header, row: (r) => builders.map((b) => b(r)) };
}

function ci(section: string, key: string, c: CiStat): unknown[] {
  return [section, key, c.mean, '', '', '', '', '', '', '', c.median, c.lo, c.hi, c.n];
}

/** Summary CSV rows (same columns as summaryToCsv). */
export function analysesSummaryRows(s: RunSummary): unknown[][] {
  const rows: unknown[][] = [];
  const acc = (
    section: string,
    key: string,
    a: {
      accuracy: number;
      correct: number;
      wrong: number;
      unjudged: number;
      failed: number;
      judged: number;
      items: number;
      accuracyJudged: number;
    },
  ) => rows.push([section, key, a.accuracy, a.correct, a.wrong, a.unjudged, a.failed, a.judged, a.items, a.accuracyJudged]);
  const z = s.selfZoom;
  if (z) {
    const groups: [string, Record<string, typeof z.accuracy>][] = [
      ['self_zoom_accuracy', { all: z.accuracy }],
      ['self_zoom_accuracy_by_dimension', z.byDimension],
      ['self_zoom_accuracy_by_question_type', z.byQuestionType],
    ];
    for (const [section, byKey] of groups) {
      for (const [k, t] of Object.entries(byKey)) {
        acc(section, `${k}/global`, t.global);
        acc(section, `${k}/self_zoom`, t.selfZoom);
        acc(section, `${k}/regional`, t.regional);
        rows.push([`${section.replace('accuracy', 'gap_recovered')}`, k, t.gapRecovered ?? '']);
      }
    }
    const g = z.gapRecovered;
    rows.push(['self_zoom_gap_recovered_ci', 'all', g.value ?? '', '', '', '', '', '', '', '', '', g.lo ?? '', g.hi ?? '', g.n]);
    rows.push(ci('self_zoom_iou', 'all', z.iou));
    rows.push(['self_zoom_centre_inside_share', 'all', z.centreInside]);
    for (const [k, v] of Object.entries(z.outcomes)) rows.push(['self_zoom_outcome_items', k, v]);
  }
  const f = s.faithfulness;
  if (f) {
    for (const [l, v] of Object.entries(f.byLayer)) {
      rows.push(ci('deletion_area', `layer ${l}`, v.area));
      rows.push(ci('deletion_area_minus_random', `layer ${l}`, v.minusRandom));
      f.fractions.forEach((fr, i) => rows.push(['deletion_mean_drop', `layer ${l} at ${fr}`, v.drop[i]]));
      f.fractions.forEach((fr, i) => rows.push(['deletion_changed_share', `layer ${l} at ${fr}`, v.changed[i]]));
    }
    rows.push(ci('deletion_area', 'random', f.random.area));
    f.fractions.forEach((fr, i) => rows.push(['deletion_mean_drop', `random at ${fr}`, f.random.drop[i]]));
    if (f.box) {
      rows.push(ci('deletion_drop', 'key box', f.box.drop));
      rows.push(['deletion_changed_share', 'key box', f.box.changed]);
    }
    rows.push(['deletion_most_faithful_layer', 'all', f.mostFaithfulLayer ?? '']);
    for (const [d, v] of Object.entries(f.byDimension)) {
      for (const [l, a] of Object.entries(v.byLayer)) rows.push(['deletion_area_by_dimension', `${d}/layer ${l}`, a]);
      rows.push(['deletion_area_by_dimension', `${d}/random`, v.random]);
    }
  }
  return rows;
}

/** NPZ arrays (one row per record, NaN / -1 / '' where a record has no such result). */
export function analysesNpzArrays(records: readonly BatchRecord[]): Record<string, NpyArray> {
  const n = records.length;
  const out: Record<string, NpyArray> = {};
  if (records.some((r) => r.selfZoom)) {
    out.self_zoom_box = f32(
      records.flatMap((r) => r.selfZoom?.box ?? [NaN, NaN, NaN, NaN]),
      [n, 4],
    );
    out.self_zoom_iou = f32(records.map((r) => r.selfZoom?.iou ?? NaN));
    out.self_zoom_centre_inside = i8(
      Int8Array.from(records.map((r) => (r.selfZoom?.centreInside === undefined ? -1 : r.selfZoom.centreInside ? 1 : 0))),
    );
    out.self_zoom_window_mass = f32(records.map((r) => r.selfZoom?.windowMass ?? NaN));
    out.self_zoom_answer = str(records.map((r) => r.selfZoom?.answer ?? ''));
    out.self_zoom_input = str(records.map((r) => (r.selfZoom ? (r.selfZoom.input ?? 'crop') : '')));
    out.self_zoom_judgement = str(records.map((r) => r.selfZoom?.judgement ?? ''));
  }
  if (records.some((r) => r.faithfulness)) {
    const layers = deletionLayers(records);
    const fractions = deletionFractions(records);
    const L = layers.length;
    const F = fractions.length + 1;
    const prob = new Float32Array(n * L * F).fill(NaN);
    const area = new Float32Array(n * L).fill(NaN);
    const rnd = new Float32Array(n * F).fill(NaN);
    records.forEach((r, i) => {
      layers.forEach((l, j) => {
        const c = r.faithfulness?.attention[l];
        if (!c) return;
        area[i * L + j] = c.area;
        c.points.forEach((p, k) => {
          if (k < F) prob[(i * L + j) * F + k] = p.prob;
        });
      });
      for (let k = 0; k < F; k++) rnd[i * F + k] = randomProb(r, k) ?? NaN;
    });
    out.deletion_layers = i32(layers.map(Number));
    out.deletion_fractions = f32([0, ...fractions]);
    out.deletion_prob = f32(prob, [n, L, F]);
    out.deletion_area = f32(area, [n, L]);
    out.deletion_random_prob = f32(rnd, [n, F]);
    out.deletion_random_area = f32(records.map((r) => r.faithfulness?.random.meanArea ?? NaN));
    out.deletion_box_fraction = f32(records.map((r) => r.faithfulness?.box?.fraction ?? NaN));
    out.deletion_box_prob = f32(records.map((r) => r.faithfulness?.box?.prob ?? NaN));
  }
  return out;
}
