// App shell: tabs for the four views, theme switch, engine status, the restart banner and the engine log.
import { useEffect, type KeyboardEvent } from 'react';
import { useEngineActions, useEngineError, useEngineStatus, useRestarted, useLoaded, useModels } from './stores/engine.js';
import { useTab, useTheme, useUiActions, type Tab } from './stores/ui.js';
import { ErrorBanner } from './components/common.js';
import { LogPanel } from './components/LogPanel.js';
import { ParityBanner } from './components/ParityBanner.js';
import { InspectView } from './views/inspect/InspectView.js';
import { ReplayView } from './views/replay/ReplayView.js';
import { BatchView } from './views/batch/BatchView.js';
import { CompareView } from './views/compare/CompareView.js';

const TABS: { id: Tab; label: string; key: string }[] = [
  { id: 'inspect', label: 'Inspect', key: '1' },
  { id: 'replay', label: 'Replay', key: '2' },
  { id: 'batch', label: 'Batch', key: '3' },
  { id: 'compare', label: 'Compare', key: '4' },
];

export function App() {
  const tab = useTab();
  const theme = useTheme();
  const ui = useUiActions();
  const engine = useEngineActions();
  const status = useEngineStatus();
  const error = useEngineError();
  const restarted = useRestarted();

  useEffect(() => {
    void engine.connect();
  }, [engine]);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  // Alt+1..4 switch views from anywhere (plain digits are left to inputs and the canvas).
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (!e.altKey) return;
      const t = TABS.find((x) => x.key === e.key);
      if (t) {
        ui.setTab(t.id);
        e.preventDefault();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [ui]);

  const onTabKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = TABS.findIndex((t) => t.id === tab);
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length];
      ui.setTab(next.id);
      document.getElementById(`tab-${next.id}`)?.focus();
      e.preventDefault();
    }
  };

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand" aria-label="Loupe">
          ◎ Loupe
        </div>
        <div className="tabs" role="tablist" aria-label="Views" onKeyDown={onTabKey}>
          {TABS.map((t) => (
            <button
              key={t.id}
              id={`tab-${t.id}`}
              role="tab"
              aria-selected={tab === t.id}
              aria-controls={`panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              className={tab === t.id ? 'active' : ''}
              onClick={() => ui.setTab(t.id)}
              title={`Alt+${t.key}`}
              data-testid={`tab-${t.id}`}
            >
              {t.label}
            </button>
          ))}
        </div>
        <div className="spacer" />
        <EngineBadge status={status} />
        <button
          className="icon"
          onClick={ui.toggleTheme}
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          data-testid="theme"
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </header>
      {restarted ? (
        <div className="warn-banner" role="alert">
          The engine restarted ({restarted}). Loaded models were unloaded; run the analysis again.
          <button className="link" onClick={engine.dismissRestart}>
            Dismiss
          </button>
        </div>
      ) : null}
      <ParityBanner />
      {status === 'error' ? (
        <div className="banner-wrap">
          <ErrorBanner error={error} />
          <button onClick={() => void engine.connect()}>Retry connecting</button>
        </div>
      ) : error ? (
        // Failures of engine-wide actions (opening a model folder or a benchmark) while connected.
        <div className="banner-wrap">
          <ErrorBanner error={error} onDismiss={engine.clearError} />
        </div>
      ) : null}
      <div className="tabpanel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'inspect' ? <InspectView /> : tab === 'replay' ? <ReplayView /> : tab === 'batch' ? <BatchView /> : <CompareView />}
      </div>
      <LogPanel />
    </div>
  );
}

function EngineBadge({ status }: { status: string }) {
  const models = useModels();
  const loaded = useLoaded();
  const providers = [...new Set(Object.values(loaded).map((l) => l.provider))];
  const label =
    status === 'ready'
      ? `engine ready · ${models.length} model${models.length === 1 ? '' : 's'}${providers.length ? ` · ${providers.join('/')}` : ''}`
      : status === 'connecting'
        ? 'connecting…'
        : status === 'error'
          ? 'engine unreachable'
          : '';
  return (
    <span className={`engine-badge ${status}`} data-testid="engine-status" aria-live="polite">
      {label}
    </span>
  );
}
