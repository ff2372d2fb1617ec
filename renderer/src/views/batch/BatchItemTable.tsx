// Per-item results; a row opens the item in Replay with this run's judgements.
import { useMemo, useState } from 'react';
import type { BatchRecord } from '../../../../electron/contract/types.js';
import { byItem, useBatchStore } from '../../stores/batch.js';
import { useReplayStore } from '../../stores/replay.js';
import { useBenchStore } from '../../stores/bench.js';
import { useUiActions } from '../../stores/ui.js';
import { pct } from '../../components/common.js';
import { Verdict } from '../replay/ReplayList.js';

type SortCol = 'item' | 'coverage';

export function BatchItemTable({ records, layer }: { records: BatchRecord[]; layer: number }) {
  const runs = useBatchStore((s) => s.runs);
  const runId = useBatchStore((s) => s.selectedRunId);
  const ui = useUiActions();
  const [sort, setSort] = useState<SortCol>('item');
  const rows = useMemo(() => {
    const g = byItem(records, 'global');
    const r = byItem(records, 'regional');
    const ids = [...new Set(records.map((x) => x.itemId))];
    const out = ids.map((id) => ({ id, g: g.get(id), r: r.get(id), cov: g.get(id)?.layers[String(layer)]?.coveragePaper }));
    if (sort === 'coverage') out.sort((a, b) => (b.cov ?? -1) - (a.cov ?? -1));
    return out;
  }, [records, layer, sort]);

  const open = async (itemId: string) => {
    const run = runs.find((x) => x.runId === runId);
    if (!run) return;
    const items = await useBenchStore.getState().actions.load(run.spec.benchId);
    const opened = useReplayStore.getState().actions.openFromRun(run, itemId, items);
    ui.setTab('replay');
    await opened;
  };
  return (
    <div className="card">
      <div className="chart-card-head">
        <div className="chart-title">Items ({rows.length})</div>
        <select aria-label="Sort items" value={sort} onChange={(e) => setSort(e.target.value as SortCol)}>
          <option value="item">bench order</option>
          <option value="coverage">coverage ↓</option>
        </select>
      </div>
      <div className="table-wrap">
        <table className="data-table" data-testid="item-table">
          <thead>
            <tr>
              <th>item</th>
              <th>dimension</th>
              <th>truth</th>
              <th>global</th>
              <th>regional</th>
              <th>coverage</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr
                key={row.id}
                className="clickable"
                tabIndex={0}
                onClick={() => void open(row.id)}
                onKeyDown={(e) => e.key === 'Enter' && void open(row.id)}
                title="Open in Replay"
              >
                <td>{row.id}</td>
                <td>{row.g?.dimension ?? row.r?.dimension ?? ''}</td>
                <td>{row.g?.groundTruth ?? row.r?.groundTruth}</td>
                <td>
                  {row.g ? (
                    <>
                      {row.g.extracted || row.g.answer} <Verdict label="" j={row.g.judgement} />
                    </>
                  ) : null}
                </td>
                <td>
                  {row.r ? (
                    <>
                      {row.r.extracted || row.r.answer} <Verdict label="" j={row.r.judgement} />
                    </>
                  ) : null}
                </td>
                <td>{pct(row.cov)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
