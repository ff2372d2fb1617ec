// The exporter's parity record (loupe.json `parity`, written by native-models/export_checkpoint.py)
// read into a ParityStatus for ModelInfo. A package without a passing record still loads, but every
// surface that shows its numbers warns: the app's banner, the CLI's stderr, a batch run's run.json.
import type { ParityStatus } from '../../contract/types.js';

const EXPORT_HINT =
  'Re-export it with python native-models/export_checkpoint.py CHECKPOINT_DIR OUT_DIR, which checks parity and records it.';

function numberRecord(v: unknown): Record<string, number> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (typeof x === 'number' && Number.isFinite(x)) out[k] = x;
  return out;
}

/** ParityStatus from a package's loupe.json (null: no loupe.json at all). */
export function parityStatus(manifest: Record<string, unknown> | null | undefined, modelName: string): ParityStatus {
  const rec = manifest?.['parity'];
  if (!rec || typeof rec !== 'object' || Array.isArray(rec)) {
    return {
      state: 'missing',
      warning:
        `Model ${modelName} has no exporter parity record (loupe.json "parity"): nothing shows that its ONNX graphs ` +
        `reproduce the PyTorch model, so its attention maps and answers are unverified. ${EXPORT_HINT}`,
    };
  }
  const r = rec as Record<string, unknown>;
  const base: ParityStatus = { state: r['passed'] === true ? 'passed' : 'failed' };
  if (typeof r['reference'] === 'string') base.reference = r['reference'];
  if (typeof r['checked_at'] === 'string') base.checkedAt = r['checked_at'];
  const maxError = numberRecord(r['max_error']);
  if (maxError) base.maxError = maxError;
  if (base.state === 'failed') {
    const failures = Array.isArray(r['failures']) ? (r['failures'] as unknown[]).filter((f): f is string => typeof f === 'string') : [];
    base.warning =
      `Model ${modelName} FAILED the exporter's parity check (loupe.json "parity"${base.checkedAt ? `, ${base.checkedAt}` : ''}): ` +
      `${failures.length ? failures.slice(0, 2).join('; ') : 'no failure listed'}. Its attention maps and answers may not match the PyTorch model. ${EXPORT_HINT}`;
  }
  return base;
}
