// Type the key box as numbers (original-image pixels), the same [x1, y1, x2, y2] as ZoomBench's bbox.
// A typed box is applied on Enter or Apply only, checked first (parseBoxDraft): nothing is swapped or
// clamped behind the researcher's back, and while the fields differ from the applied box the metrics
// say they belong to the applied one.
import { useState } from 'react';
import type { Box } from '../../../electron/contract/types.js';
import { parseBoxDraft } from './geometry.js';

const NAMES = ['x1', 'y1', 'x2', 'y2'] as const;

const shownText = (b: Box | null) => (b ? b.map((v) => String(Math.round(v * 100) / 100)) : ['', '', '', '']);

/** The message to show beside metrics while the typed box is not applied (null when it is). */
function pendingBoxNote(draft: readonly string[], box: Box | null): string | null {
  const applied = shownText(box);
  if (draft.every((d, i) => d.trim() === applied[i])) return null;
  return 'The typed box is not applied: press Enter or Apply. The numbers are for the box drawn on the image.';
}

export function BoxEditor({
  box,
  onChange,
  width,
  height,
  onDraftChange,
}: {
  box: Box | null;
  onChange: (b: Box | null) => void;
  width: number;
  height: number;
  /** Reports, as the researcher types, whether the fields differ from the applied box (null when they match).
   * A new box from outside resets the fields; the parent ties the note to the box it was made for. */
  onDraftChange?: (note: string | null) => void;
}) {
  const [draft, setDraft] = useState<string[]>(() => shownText(box));
  const [error, setError] = useState<{ message: string; field: string } | null>(null);
  // A new box from outside (drawn on the image, a new item) replaces what is typed.
  const [shownBox, setShownBox] = useState(box);
  if (box !== shownBox) {
    setShownBox(box);
    setDraft(shownText(box));
    setError(null);
  }
  const edit = (i: number, value: string) => {
    const next = [...draft];
    next[i] = value;
    setDraft(next);
    setError(null);
    onDraftChange?.(pendingBoxNote(next, box));
  };
  const apply = () => {
    const r = parseBoxDraft(draft, width, height);
    if ('error' in r) {
      setError({ message: r.error, field: r.field });
      return;
    }
    setError(null);
    onDraftChange?.(null);
    onChange(r.box);
  };
  const dirty = pendingBoxNote(draft, box) !== null;
  return (
    <fieldset className="box-editor" aria-label="Key box in image pixels">
      <legend>
        Key box (px, image {width}×{height})
      </legend>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        {NAMES.map((n, i) => (
          <label key={n} className="field mini">
            <span className="field-label">{n}</span>
            <input
              data-testid={`box-${n}`}
              type="text"
              inputMode="decimal"
              aria-invalid={error?.field === n}
              value={draft[i]}
              onChange={(e) => edit(i, e.target.value)}
            />
          </label>
        ))}
        <button type="submit" data-testid="box-apply" disabled={!dirty}>
          Apply
        </button>
        <button type="button" className="link" onClick={() => onChange(null)} disabled={!box}>
          Clear
        </button>
      </form>
      {error ? (
        <div className="field-error" role="alert" data-testid="box-error">
          {error.message} The box was not changed.
        </div>
      ) : dirty ? (
        <div className="warn-text small" data-testid="box-pending">
          Not applied yet: press Enter or Apply.
        </div>
      ) : null}
      {!box ? <div className="muted small">Drag on the image to draw a box (Alt+drag or right-drag pans).</div> : null}
    </fieldset>
  );
}
