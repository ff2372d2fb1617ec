// Exports of a run: summary (CSV/JSON), per-item rows (CSV) and per-item attention grids (JSON).
import type { AccuracyStat, BatchRecord, CiStat, CompareSummary, RunSummary } from '../../contract/types.js';
import { analysesCsvColumns, analysesSummaryRows } from './export-analyses.js';

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

const SUMMARY_HEADER = [
  'section',
  'key',
  'value',
  'correct',
  'wrong',
  'unjudged',
  'failed',
  'judged',
  'items',
  'accuracy_judged',
  'median',
  'ci_lo',
  'ci_hi',
  'n',
] as const;

/** One accuracy row: `value` is accuracy over all items; `accuracy_judged` over judged items. */
function accuracyRow(section: string, key: string, a: AccuracyStat): unknown[] {
  return [section, key, a.accuracy, a.correct, a.wrong, a.unjudged, a.failed, a.judged, a.items, a.accuracyJudged];
}

function ciRow(section: string, key: string, c: CiStat): unknown[] {
  return [section, key, c.mean, '', '', '', '', '', '', '', c.median, c.lo, c.hi, c.n];
}

/** Summary as long-format CSV: section, key, value, then the counts or CI columns that apply. */
export function summaryToCsv(s: RunSummary): string {
  const rows: unknown[][] = [];
  for (const view of ['global', 'regional'] as const) rows.push(accuracyRow('accuracy', view, s.accuracy[view]));
  rows.push(['zooming_gap_pp', 'all', s.zoomingGap]);
  for (const [section, groups] of [
    ['dimension', s.byDimension],
    ['question_type', s.byQuestionType],
  ] as const) {
    for (const [k, g] of Object.entries(groups)) {
      rows.push(accuracyRow(`accuracy_by_${section}`, `${k}/global`, g.global));
      rows.push(accuracyRow(`accuracy_by_${section}`, `${k}/regional`, g.regional));
      rows.push([`gap_pp_by_${section}`, k, g.gap]);
    }
  }
  for (const [layer, c] of Object.entries(s.coverageByLayer)) rows.push(ciRow('coverage_paper', `layer ${layer}`, c));
  const cw = s.coverageCorrectVsWrong;
  rows.push(ciRow('coverage_correct', `layer ${cw.layer}`, cw.correct));
  rows.push(ciRow('coverage_wrong', `layer ${cw.layer}`, cw.wrong));
  rows.push(['mean_box_area_share', 'global', s.meanBoxAreaShare]);
  rows.push(['items_without_box', 'global', s.noBoxItems]);
  rows.push(...analysesSummaryRows(s));
  return toCsv(SUMMARY_HEADER, rows);
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
    'judge_reason',
    'ground_truth',
    'answer',
    'extracted',
    'bbox',
    'box_area_share',
    'box_status',
    'error',
    'model_hash',
    'settings_hash',
    'protocol',
    'max_pixels',
    'resized_wxh',
    'preprocess_warnings',
    'finished_at',
  ];
  for (const l of layers) for (const m of metricCols) header.push(`L${l}_${m}`);
  const extra = analysesCsvColumns(records);
  header.push(...extra.header);
  const rows = records.map((r) => {
    const row: unknown[] = [
      r.itemId,
      r.view,
      r.dimension,
      r.questionType,
      r.error !== undefined ? 'failed' : r.judgement,
      r.judgeReason,
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
      r.preprocess?.protocol,
      r.preprocess?.maxPixels,
      r.preprocess ? `${r.preprocess.resizedWidth}x${r.preprocess.resizedHeight}` : '',
      r.preprocess?.warnings.join(' | '),
      r.finishedAt,
    ];
    for (const l of layers) for (const m of metricCols) row.push(r.layers[l]?.[m]);
    row.push(...extra.row(r));
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
