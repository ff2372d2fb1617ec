// The engine's log (engine.log events: a bench that could not be opened, a run that failed, an engine
// restart): a status line at the foot of the window that opens into the recent lines.
import { useState } from 'react';
import { useEngineActions, useLog } from '../stores/engine.js';

export function LogPanel() {
  const log = useLog();
  const { clearLog } = useEngineActions();
  const [open, setOpen] = useState(false);
  const warnings = log.filter((l) => l.level !== 'info').length;
  const last = log.at(-1);
  return (
    <footer className={`log-panel ${open ? 'open' : ''}`} data-testid="log-panel">
      <button className="log-toggle" onClick={() => setOpen(!open)} aria-expanded={open} data-testid="log-toggle">
        Engine log ({log.length}
        {warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'} or errors` : ''}) {open ? '▾' : '▸'}
      </button>
      {!open && last ? <span className={`log-last ${last.level}`}>{last.message}</span> : null}
      {open ? (
        <div className="log-lines" role="log" aria-live="polite">
          {log.length === 0 ? <div className="muted">Nothing logged yet.</div> : null}
          {log.map((l, i) => (
            <div key={i} className={`log-line ${l.level}`}>
              <span className="muted">{new Date(l.at).toLocaleTimeString()}</span> <strong>{l.level}</strong> {l.message}
            </div>
          ))}
          {log.length ? (
            <button className="link" onClick={clearLog}>
              clear
            </button>
          ) : null}
        </div>
      ) : null}
    </footer>
  );
}
