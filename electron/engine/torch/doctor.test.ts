import { describe, expect, it } from 'vitest';
import { doctorReport, torchRows } from './doctor.js';
import type { WorkerEnv } from './worker-process.js';

const where = { python: '/venv/bin/python', nativeModels: '/repo/native-models', source: 'LOUPE_VENV' };

describe('loupe doctor rows', () => {
  it('a venv that cannot run the worker: both PyTorch devices unusable, with the setup command', () => {
    const rows = torchRows(null, 'no Python at /venv/bin/python (LOUPE_VENV)', null, where);
    expect(rows.map((r) => [r.device, r.usable])).toEqual([
      ['cpu', false],
      ['cuda', false],
    ]);
    expect(rows[0].reason).toContain('/venv/bin/python');
    expect(rows[0].fix).toContain('native-models/setup-venv.sh');
  });

  it('a CPU wheel: cpu runs, cuda says why and names the CUDA wheel index', () => {
    const env: WorkerEnv = {
      python: '3.11',
      torch: '2.13.0+cpu',
      transformers: '5.18.0',
      missing: [],
      cuda: {
        available: false,
        builtFor: null,
        cudnn: null,
        devices: [],
        why: 'this torch build (2.13.0+cpu) has no CUDA support (a CPU wheel)',
      },
    };
    const [cpu, cuda] = torchRows(env, undefined, null, where);
    expect(cpu).toMatchObject({ usable: true });
    expect(cuda).toMatchObject({ usable: false, reason: expect.stringContaining('CPU wheel') });
    expect(cuda.fix).toContain('/venv/bin/pip install --force-reinstall torch --index-url https://download.pytorch.org/whl/cu124');
  });

  it('a CUDA build that sees a GPU lists it with versions', () => {
    const env: WorkerEnv = {
      python: '3.11',
      torch: '2.13.0+cu124',
      transformers: '5.18.0',
      missing: [],
      cuda: { available: true, builtFor: '12.4', cudnn: 90100, devices: [{ name: 'NVIDIA H200', totalBytes: 141e9, freeBytes: 140e9 }] },
    };
    expect(torchRows(env, undefined, '560.35', where)[1]).toMatchObject({
      usable: true,
      detail: expect.stringMatching(/CUDA 12\.4.*cuDNN 90100.*NVIDIA H200/),
    });
  });

  it('on this machine: ONNX cpu runs, and every unusable row says why and how to fix it', () => {
    const report = doctorReport();
    expect(report.rows.find((r) => r.engine === 'onnx' && r.device === 'cpu')?.usable).toBe(true);
    for (const r of report.rows.filter((x) => !x.usable)) {
      expect(r.reason).toBeTruthy();
      expect(r.fix).toBeTruthy();
    }
    const ortCuda = report.rows.find((r) => r.engine === 'onnx' && r.device === 'cuda');
    if (!ortCuda?.usable)
      expect(ortCuda?.fix).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js');
    expect(ortCuda?.detail).toContain('CUDA 12.x and cuDNN 9.x');
  }, 120_000);
});
