// Model picker listing discovered and opened models; unusable folders are shown disabled with why.
import type { ModelInfo } from '../../../electron/contract/types.js';
import { useModels } from '../stores/engine.js';

export function ModelSelect({
  value,
  onChange,
  label = 'Model',
  testId,
}: {
  value: string | null;
  onChange: (id: string) => void;
  label?: string;
  testId?: string;
}) {
  const models = useModels();
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      <select data-testid={testId} value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
        {value ? null : <option value="">Choose a model…</option>}
        {models.map((m: ModelInfo) => (
          <option key={m.id} value={m.id} disabled={m.issues.length > 0} title={m.issues.map((i) => `${i.file}: ${i.message}`).join('\n')}>
            {m.name}
            {m.bundled ? ' (bundled)' : ''}
            {m.issues.length ? ' — unusable' : ''}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Picks the bundled model whose name matches, else the first usable one. */
export function pickModel(models: ModelInfo[], prefer: string): string | null {
  const usable = models.filter((m) => m.issues.length === 0);
  return (usable.find((m) => m.name === prefer) ?? usable.find((m) => m.name.includes(prefer)) ?? usable[0])?.id ?? null;
}
