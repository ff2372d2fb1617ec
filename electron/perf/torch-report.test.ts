import { describe, expect, it } from 'vitest';
import { cpuSeconds } from './cpu-time.js';
import { torchMarkdown, type Row } from './torch-report.js';

describe('full-size bench helpers', () => {
  it('reads a process CPU time that grows while it computes', () => {
    const before = cpuSeconds(process.pid);
    const t = performance.now();
    let x = 0;
    while (performance.now() - t < 300) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(cpuSeconds(process.pid)).toBeGreaterThan(before);
    expect(cpuSeconds(undefined)).toBe(0);
    expect(cpuSeconds(2 ** 30)).toBe(0); // no such process
  });

  it('shows a stopped item, a refused row and a lowered pixel budget for what they are', () => {
    const rows: Row[] = [
      {
        model: 'qwen3_vl_2b',
        dtype: 'bf16',
        measuredAt: '2026-12-03T01:30:00.000Z',
        maxPixels: 262144,
        loadMs: 20000,
        items: 0,
        perItem: [{ id: '0', wallMs: 600000, cpuSeconds: 700, load1AtEnd: 4.2, stoppedAfterS: 600 }],
        load1: { min: 4.2, max: 4.2 },
      },
      { model: 'qwen2_5_vl_3b', dtype: 'fp32', measuredAt: '2026-12-03T01:00:00.000Z', refused: 'needs 26 GiB | 19 GiB' },
    ];
    const md = torchMarkdown('/nonexistent', {}, rows, undefined);
    expect(md).toContain('| qwen3_vl_2b | bf16 | 262,144 px | 2026-12-03 01:30 | 0 (+1 stopped after 600 s, 700 CPU s) | 20.0 |');
    expect(md).toContain('refused before loading: needs 26 GiB / 19 GiB');
    expect(md).toContain('| qwen3_vl_2b | bf16 | 0 | 600.0 | 700 | 4.2 | stopped after 600 s |');
  });
});
