// Choosing a benchmark, in every view: the benches the engine knows (each once), opening another by
// path, and what is wrong with the chosen one's rows, said once: row, id, column and cause.
import { useState } from 'react';
import type { BenchInfo } from '../../../electron/contract/types.js';
import { useBenches, useEngineActions } from '../stores/engine.js';
import { useBenchStore } from '../stores/bench.js';
import { PathOpener } from './PathOpener.js';
import { ErrorBanner, Field } from './common.js';

export function BenchSelect({ value, onChange, testId }: { value: string | null; onChange: (benchId: string) => void; testId: string }) {
  const benches = useBenches();
  const engine = useEngineActions();
  const loadError = useBenchStore((s) => (value ? s.errors[value] : undefined));
  const bench = benches.find((b) => b.id === value);
  return (
    <div className="bench-select">
      <Field label="Benchmark">
        <select data-testid={testId} value={value ?? ''} onChange={(e) => e.target.value && onChange(e.target.value)}>
          {benches.length === 0 ? <option value="">No benchmark found</option> : null}
          {benches.map((b) => (
            <option key={b.id} value={b.id} title={b.path}>
              {b.name} ({b.itemCount}){b.issues.some((i) => !i.kept) ? ` · ${b.issues.filter((i) => !i.kept).length} rows skipped` : ''}
            </option>
          ))}
        </select>
      </Field>
      <PathOpener
        label="Open a ZoomBench file…"
        placeholder="/path/to/data/test.parquet or test.json"
        testId={`${testId}-open`}
        onOpen={async (path) => {
          const b = await engine.openBench(path);
          if (!b) return;
          useBenchStore.getState().actions.forget(b.id);
          onChange(b.id);
        }}
      />
      {loadError ? <ErrorBanner error={loadError} /> : null}
      {bench && bench.issues.length > 0 ? <BenchIssues key={bench.id} bench={bench} /> : null}
    </div>
  );
}

/** "row 10 (id 9), column image: …" */
function issueText(i: BenchInfo['issues'][number]): string {
  return `row ${i.row + 1}${i.id !== undefined ? ` (id ${i.id})` : ''}, column ${i.field}: ${i.message}`;
}

function BenchIssues({ bench }: { bench: BenchInfo }) {
  const skipped = bench.issues.filter((i) => !i.kept);
  const kept = bench.issues.filter((i) => i.kept);
  // A newly chosen or opened bench shows its problems open (the parent keys this by bench id).
  const [open, setOpen] = useState(true);
  return (
    <details className="bench-issues warn-box" open={open} onToggle={(e) => setOpen(e.currentTarget.open)} data-testid="bench-issues">
      <summary>
        {bench.name}: {skipped.length > 0 ? `${skipped.length} row${skipped.length === 1 ? '' : 's'} skipped` : ''}
        {skipped.length > 0 && kept.length > 0 ? ', ' : ''}
        {kept.length > 0 ? `${kept.length} row${kept.length === 1 ? '' : 's'} with a problem (still run)` : ''}
      </summary>
      <ul>
        {bench.issues.map((i) => (
          <li key={`${i.row}-${i.field}`} data-testid="bench-issue">
            {issueText(i)} {i.kept ? <span className="muted">(kept)</span> : <span className="muted">(skipped)</span>}
          </li>
        ))}
      </ul>
    </details>
  );
}
