// Per-item results with verdicts (why, on hover), failed records with their error, and the run's
// coverage labelled with what it measured; a row opens the item in Replay with this run's judgements.
import { useMemo, useState } from 'react';
import type { BatchRecord, RunInfo } from '../../../../electron/contract/types.js';
import { byItem, useBatchStore } from '../../stores/batch.js';
import { useReplayStore } from '../../stores/replay.js';
import { useBenchStore } from '../../stores/bench.js';
import { useUiStore } from '../../stores/ui.js';
import { Verdict, pct } from '../../components/common.js';
import { recordLabel } from '../../selection/labels.js';

type SortCol = 'item' | 'coverage' | 'failed';

/** Opens an item of a run in Replay, with the run's judgements. */
export async function openInReplay(run: RunInfo, itemId: string): Promise<void> {
  const items = await useBenchStore.getState().actions.load(run.spec.benchId);
  const opened = useReplayStore.getState().actions.openFromRun(run, itemId, items);
  useUiStore.getState().actions.setTab('replay');
  await opened;
}

export function BatchItemTable({ records, layer }: { records: BatchRecord[]; layer: number }) {
  const runs = useBatchStore((s) => s.runs);
  const runId = useBatchStore((s) => s.selectedRunId);
  const [sort, setSort] = useState<SortCol>('item');
  const rows = useMemo(() => {
    const g = byItem(records, 'global');
    const r = byItem(records, 'regional');
    const ids = [...new Set(records.map((x) => x.itemId))];
    const out = ids.map((id) => {
      const gr = g.get(id);
      return {
        id,
        g: gr,
        r: r.get(id),
        cov: gr?.error === undefined ? gr?.layers[String(layer)]?.coveragePaper : undefined,
        noBox: gr && !gr.error && !gr.bbox,
      };
    });
    if (sort === 'coverage') out.sort((a, b) => (b.cov ?? -1) - (a.cov ?? -1));
    if (sort === 'failed') out.sort((a, b) => Number(!!(b.g?.error ?? b.r?.error)) - Number(!!(a.g?.error ?? a.r?.error)));
    return out;
  }, [records, layer, sort]);

  const open = (itemId: string) => {
    const run = runs.find((x) => x.runId === runId);
    if (run) void openInReplay(run, itemId);
  };
  const answer = (rec: BatchRecord | undefined) =>
    rec ? (
      rec.error !== undefined ? (
        <span className="error-text" title={rec.error}>
          <Verdict record={rec} /> {rec.error.length > 90 ? `${rec.error.slice(0, 87)}…` : rec.error}
        </span>
      ) : (
        <>
          {rec.extracted || rec.answer || '(empty)'} <Verdict record={rec} />
        </>
      )
    ) : null;
  return (
    <div className="card">
      <div className="chart-card-head">
        <div className="chart-title">Items ({rows.length})</div>
        <select aria-label="Sort items" value={sort} onChange={(e) => setSort(e.target.value as SortCol)}>
          <option value="item">bench order</option>
          <option value="coverage">coverage ↓</option>
          <option value="failed">failed first</option>
        </select>
      </div>
      <div className="table-wrap">
        <table className="data-table" data-testid="item-table">
          <thead>
            <tr>
              <th>item</th>
              <th>dimension</th>
              <th>truth</th>
              <th>global answer</th>
              <th>regional answer</th>
              <th title={recordLabel(layer)}>coverage ({recordLabel(layer)})</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr
                key={row.id}
                className="clickable"
                tabIndex={0}
                onClick={() => open(row.id)}
                onKeyDown={(e) => e.key === 'Enter' && open(row.id)}
                title="Open in Replay"
                data-item={row.id}
              >
                <td>{row.id}</td>
                <td>{row.g?.dimension ?? row.r?.dimension ?? ''}</td>
                <td>{row.g?.groundTruth ?? row.r?.groundTruth}</td>
                <td>{answer(row.g)}</td>
                <td>{answer(row.r)}</td>
                <td>{row.noBox ? 'no box' : pct(row.cov)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
