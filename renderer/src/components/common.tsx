// Small shared pieces: error banners, empty states, number formatting, verdict badges.
import type { ReactNode } from 'react';
import type { BatchRecord } from '../../../electron/contract/types.js';
import { judgeRulesText } from '../../../electron/contract/judging.js';
import type { UiError } from '../engine/errors.js';

export function ErrorBanner({ error, onDismiss }: { error: UiError | null; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <div className="error-banner" role="alert" data-testid="error">
      <strong>{error.message}</strong>
      {error.file ? (
        <span className="muted">
          {' '}
          ({error.file}
          {error.field ? `: ${error.field}` : ''})
        </span>
      ) : null}
      {error.hint ? <div>{error.hint}</div> : null}
      {onDismiss ? (
        <button className="link" onClick={onDismiss} aria-label="Dismiss error">
          Dismiss
        </button>
      ) : null}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state" data-testid="empty-state">
      <h3>{title}</h3>
      {children ? <div className="muted">{children}</div> : null}
    </div>
  );
}

export function pct(v: number | undefined, digits = 1): string {
  return v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(digits)}%`;
}

export function num(v: number | undefined, digits = 3): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

export function Field({ label, children, hint }: { label: string; children: ReactNode; hint?: string }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children}
      {hint ? <span className="field-hint muted">{hint}</span> : null}
    </label>
  );
}

/** An answer as shown: whitespace-only answers would be invisible, so they read "(empty)". */
export function answerText(a: string): string {
  return a.trim() === '' ? '(empty)' : a;
}

/** A record's verdict as a badge: ✓ correct, ✗ wrong, ? unjudged, ⚠ failed; the tooltip says why. */
export function Verdict({ record, label = '' }: { record: BatchRecord | undefined; label?: string }) {
  if (!record) return null;
  const failed = record.error !== undefined;
  const j = failed ? 'failed' : record.judgement;
  const mark = j === 'correct' ? '✓' : j === 'wrong' ? '✗' : j === 'failed' ? '⚠' : '?';
  const why = failed ? `failed: ${record.error}` : `${j}${record.judgeReason ? `: ${record.judgeReason}` : ''}`;
  return (
    <span className={`pill verdict ${j}`} title={`${record.view} view ${why}`} data-testid="verdict" data-verdict={j}>
      {label ? `${label} ` : ''}
      {mark}
    </span>
  );
}

/** The judge's rules, on hover (and for screen readers), beside every accuracy. */
export function JudgeRules() {
  return (
    <span
      className="info"
      tabIndex={0}
      title={judgeRulesText()}
      aria-label={`How answers are judged: ${judgeRulesText()}`}
      data-testid="judge-rules"
    >
      ?
    </span>
  );
}
