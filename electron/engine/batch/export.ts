// Exports of a run: summary (CSV/JSON), per-item rows (CSV) and per-item attention grids (JSON).
import type { BatchRecord, CompareSummary, RunSummary } from '../../contract/types.js';

/**
 * One CSV cell. Quotes when needed (RFC 4180) and neutralises text that a spreadsheet would run as
 * a formula (a model answer like "=HYPERLINK(...)"): such text gets a leading apostrophe.
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  // Short rows are padded so every line has the header's column count.
  const pad = (row: readonly unknown[]) => [...row, ...new Array<unknown>(Math.max(0, header.length - row.length)).fill('')];
  return [header, ...rows].map((row) => pad(row).map(csvCell).join(',')).join('\n') + '\n';
}

/** Summary as long-format CSV: section, key, view/stat columns. */
export function summaryToCsv(s: RunSummary): string {
  const rows: unknown[][] = [];
  for (const view of ['global', 'regional'] as const) {
    const a = s.accuracy[view];
    rows.push(['accuracy', view, a.accuracy, a.correct, a.judged, a.unjudged, '', '', '']);
  }
  rows.push(['zooming_gap_pp', 'all', s.zoomingGap, '', '', '', '', '', '']);
  for (const [section, groups] of [
    ['dimension', s.byDimension],
    ['question_type', s.byQuestionType],
  ] as const) {
    for (const [k, g] of Object.entries(groups)) {
      rows.push([
        `accuracy_by_${section}`,
        `${k}/global`,
        g.global.accuracy,
        g.global.correct,
        g.global.judged,
        g.global.unjudged,
        '',
        '',
        '',
      ]);
      rows.push([
        `accuracy_by_${section}`,
        `${k}/regional`,
        g.regional.accuracy,
        g.regional.correct,
        g.regional.judged,
        g.regional.unjudged,
        '',
        '',
        '',
      ]);
      rows.push([`gap_pp_by_${section}`, k, g.gap, '', '', '', '', '', '']);
    }
  }
  for (const [layer, c] of Object.entries(s.coverageByLayer))
    rows.push(['coverage_paper', `layer ${layer}`, c.mean, '', '', '', c.median, c.lo, c.hi, c.n]);
  const cw = s.coverageCorrectVsWrong;
  rows.push([
    'coverage_correct',
    `layer ${cw.layer}`,
    cw.correct.mean,
    '',
    '',
    '',
    cw.correct.median,
    cw.correct.lo,
    cw.correct.hi,
    cw.correct.n,
  ]);
  rows.push(['coverage_wrong', `layer ${cw.layer}`, cw.wrong.mean, '', '', '', cw.wrong.median, cw.wrong.lo, cw.wrong.hi, cw.wrong.n]);
  rows.push(['mean_box_area_share', 'global', s.meanBoxAreaShare, '', '', '', '', '', '']);
  rows.push(['items_without_box', 'global', s.noBoxItems, '', '', '', '', '', '']);
  return toCsv(['section', 'key', 'value', 'correct', 'judged', 'unjudged', 'median', 'ci_lo', 'ci_hi', 'n'], rows);
}

export function summaryToJson(s: RunSummary | CompareSummary): string {
  return `${JSON.stringify(s, null, 2)}\n`;
}

/** One row per record; metric columns for each layer present in any record. */
export function recordsToCsv(records: readonly BatchRecord[]): string {
  const layers = [...new Set(records.flatMap((r) => Object.keys(r.layers)))].sort((a, b) => Number(a) - Number(b));
  const metricCols = ['coveragePaper', 'coverageArea', 'ratio', 'pointing', 'entropy', 'relCoveragePaper'] as const;
  const header = [
    'item_id',
    'view',
    'dimension',
    'question_type',
    'judgement',
    'ground_truth',
    'answer',
    'extracted',
    'bbox',
    'box_area_share',
    'box_status',
    'error',
    'model_hash',
    'settings_hash',
    'finished_at',
  ];
  for (const l of layers) for (const m of metricCols) header.push(`L${l}_${m}`);
  const rows = records.map((r) => {
    const row: unknown[] = [
      r.itemId,
      r.view,
      r.dimension,
      r.questionType,
      r.judgement,
      r.groundTruth,
      r.answer,
      r.extracted,
      r.bbox ? r.bbox.join(' ') : '',
      r.boxAreaShare,
      r.error !== undefined
        ? 'failed'
        : r.bbox === undefined
          ? 'no box'
          : r.view === 'global'
            ? 'measured'
            : 'regional view (no box metrics)',
      r.error,
      r.modelHash,
      r.settingsHash,
      r.finishedAt,
    ];
    for (const l of layers) for (const m of metricCols) row.push(r.layers[l]?.[m]);
    return row;
  });
  return toCsv(header, rows);
}

export interface GridExport {
  itemId: string;
  view: string;
  layer?: number;
  gridH: number;
  gridW: number;
  bbox?: [number, number, number, number];
  /** Row-major head-mean attention of the last prompt token over the visual tokens. */
  values: number[];
}

/** Per-item attention grids (records that kept one). */
export function gridsToJson(records: readonly BatchRecord[]): string {
  const grids: GridExport[] = records
    .filter((r) => r.grid !== undefined)
    .map((r) => ({
      itemId: r.itemId,
      view: r.view,
      ...(r.gridLayer !== undefined ? { layer: r.gridLayer } : {}),
      gridH: r.grid!.gridH,
      gridW: r.grid!.gridW,
      ...(r.bbox ? { bbox: r.bbox } : {}),
      values: r.grid!.values,
    }));
  return `${JSON.stringify(grids)}\n`;
}
