// A run's name and notes, edited where the run is read and saved beside it (batch.annotate).
import { useState } from 'react';
import type { RunInfo } from '../../../../electron/contract/types.js';
import { useBatchActions } from '../../stores/batch.js';

export function RunNotes({ run }: { run: RunInfo }) {
  const a = useBatchActions();
  const [name, setName] = useState(run.name ?? '');
  const [notes, setNotes] = useState(run.notes ?? '');
  // Another run selected, or the engine's copy changed: show what it has.
  const [shown, setShown] = useState({ id: run.runId, name: run.name, notes: run.notes });
  if (shown.id !== run.runId || shown.name !== run.name || shown.notes !== run.notes) {
    setShown({ id: run.runId, name: run.name, notes: run.notes });
    setName(run.name ?? '');
    setNotes(run.notes ?? '');
  }
  const dirty = name !== (run.name ?? '') || notes !== (run.notes ?? '');
  return (
    <details className="run-notes" open={!!run.notes}>
      <summary>Name and notes</summary>
      <input
        data-testid="run-name"
        aria-label="Run name"
        placeholder="name this run"
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <textarea
        data-testid="run-notes"
        aria-label="Run notes"
        rows={3}
        placeholder="what this run is for"
        value={notes}
        onChange={(e) => setNotes(e.target.value)}
      />
      <button data-testid="run-notes-save" disabled={!dirty} onClick={() => void a.annotate(run.runId, { name, notes })}>
        Save
      </button>
    </details>
  );
}
