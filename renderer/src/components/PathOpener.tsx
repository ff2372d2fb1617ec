// Opens a model folder or a benchmark file by path. The browser cannot hand us a path from a file
// picker, so the researcher types or pastes it; the engine validates it and says what is missing.
import { useState } from 'react';

export function PathOpener({
  label,
  placeholder,
  onOpen,
  testId,
}: {
  label: string;
  placeholder: string;
  onOpen: (path: string) => Promise<unknown>;
  testId?: string;
}) {
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const open = async () => {
    if (!path.trim()) return;
    setBusy(true);
    try {
      await onOpen(path.trim());
      setPath('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <details className="path-opener">
      <summary>{label}</summary>
      <div className="row">
        <input
          data-testid={testId}
          aria-label={label}
          placeholder={placeholder}
          value={path}
          onChange={(e) => setPath(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && void open()}
          style={{ flex: 1, minWidth: 0 }}
        />
        <button onClick={() => void open()} disabled={busy || !path.trim()}>
          Open
        </button>
      </div>
    </details>
  );
}
