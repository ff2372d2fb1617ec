import { describe, expect, it } from 'vitest';
import { parityStatus } from './parity.js';

describe('parityStatus (loupe.json "parity" -> ModelInfo.parity)', () => {
  it('a passing record: no warning, reference and errors kept', () => {
    const s = parityStatus(
      {
        parity: {
          passed: true,
          reference: 'PyTorch float64 (transformers eager attention)',
          checked_at: '2026-12-02T18:00:00+00:00',
          max_error: { attention_abs: 3e-8, bogus: 'x' },
        },
      },
      'tiny',
    );
    expect(s).toEqual({
      state: 'passed',
      reference: 'PyTorch float64 (transformers eager attention)',
      checkedAt: '2026-12-02T18:00:00+00:00',
      maxError: { attention_abs: 3e-8 },
    });
  });

  it('no record (or no loupe.json): missing, with a warning that names the model and the fix', () => {
    for (const m of [null, {}, { parity: 'yes' }]) {
      const s = parityStatus(m, 'my-model');
      expect(s.state).toBe('missing');
      expect(s.warning).toContain('Model my-model has no exporter parity record');
      expect(s.warning).toContain('export_checkpoint.py');
    }
  });

  it('a failed record: failed, with its first failures in the warning', () => {
    const s = parityStatus({ parity: { passed: false, failures: ['one-image: layer 0 attention row differs by 1e-1 > 1e-6'] } }, 'm');
    expect(s.state).toBe('failed');
    expect(s.warning).toContain('FAILED');
    expect(s.warning).toContain('layer 0 attention row differs');
  });
});
