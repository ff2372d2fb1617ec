// Type the key box as numbers (original-image pixels), the same [x1, y1, x2, y2] as ZoomBench's bbox.
import { useState } from 'react';
import type { Box } from '../../../electron/contract/types.js';
import { normalizeBox } from './geometry.js';

const NAMES = ['x1', 'y1', 'x2', 'y2'] as const;

export function BoxEditor({
  box,
  onChange,
  width,
  height,
}: {
  box: Box | null;
  onChange: (b: Box | null) => void;
  width: number;
  height: number;
}) {
  const shownText = (b: Box | null) => (b ? b.map((v) => String(Math.round(v))) : ['', '', '', '']);
  const [draft, setDraft] = useState<string[]>(() => shownText(box));
  // A new box from outside (drawn on the image, a new item) replaces what is typed.
  const [shownBox, setShownBox] = useState(box);
  if (box !== shownBox) {
    setShownBox(box);
    setDraft(shownText(box));
  }
  const commit = (next: string[]) => {
    const v = next.map(Number);
    if (next.every((s) => s.trim() !== '') && v.every(Number.isFinite)) onChange(normalizeBox(v as Box, width, height));
  };
  return (
    <fieldset className="box-editor" aria-label="Key box in image pixels">
      <legend>Key box (px)</legend>
      <div className="row">
        {NAMES.map((n, i) => (
          <label key={n} className="field mini">
            <span className="field-label">{n}</span>
            <input
              data-testid={`box-${n}`}
              type="number"
              inputMode="numeric"
              min={0}
              max={i % 2 === 0 ? width : height}
              value={draft[i]}
              onChange={(e) => {
                const next = [...draft];
                next[i] = e.target.value;
                setDraft(next);
              }}
              onBlur={() => commit(draft)}
              onKeyDown={(e) => e.key === 'Enter' && commit(draft)}
            />
          </label>
        ))}
        <button className="link" onClick={() => onChange(null)} disabled={!box}>
          Clear
        </button>
      </div>
      {!box ? <div className="muted small">Drag on the image to draw a box (Alt+drag or right-drag pans).</div> : null}
    </fieldset>
  );
}
