// What can run here: onnxruntime-node's execution providers and PyTorch's devices, and for each one that
// cannot, why and how to fix it. `loupe doctor` prints it; the checks read files and ask the project's
// Python (python -m loupe_worker --check) without loading a model.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { checkProvider, type ProviderCheck } from '../model/provider-check.js';
import { locatePython, type PythonLocation, type WorkerEnv } from './worker-process.js';

/** What onnxruntime-node 1.2x-1.3x's CUDA build links against (its install script fetches the cuda12 build). */
export const ORT_CUDA_NEEDS = 'CUDA 12.x and cuDNN 9.x';

export interface DoctorRow {
  engine: 'onnx' | 'pytorch';
  device: string;
  usable: boolean;
  detail?: string;
  reason?: string;
  fix?: string;
}

export interface DoctorReport {
  onnxruntime: string | null;
  nvidiaDriver: string | null;
  python: PythonLocation;
  torch: WorkerEnv | null;
  rows: DoctorRow[];
}

function ortVersion(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** The NVIDIA kernel driver's version line, when one is loaded (Linux). */
export function nvidiaDriver(): string | null {
  const path = '/proc/driver/nvidia/version';
  if (!existsSync(path)) return null;
  const line = readFileSync(path, 'utf8').split('\n')[0] ?? '';
  return /Kernel Module\s+([\d.]+)/.exec(line)?.[1] ?? line.trim();
}

function onnxRows(driver: string | null): DoctorRow[] {
  const rows: DoctorRow[] = [];
  for (const p of ['cpu', 'cuda', 'webgpu'] as const) {
    const c: ProviderCheck = checkProvider(p);
    const row: DoctorRow = { engine: 'onnx', device: p, usable: c.usable };
    if (p === 'cuda') {
      row.detail = `needs ${ORT_CUDA_NEEDS} and an NVIDIA driver (${driver ? `driver ${driver} loaded` : 'no NVIDIA driver loaded'})`;
      if (c.usable && !driver) {
        row.usable = false;
        row.reason = 'the CUDA provider library is installed but no NVIDIA driver is loaded';
        row.fix = 'Install the NVIDIA driver (nvidia-smi must work), then restart Loupe.';
      }
    }
    if (c.reason) row.reason = c.reason;
    if (c.fix) row.fix = c.fix;
    rows.push(row);
  }
  return rows;
}

/** Runs `python -m loupe_worker --check`; null and a reason when the venv cannot run it. */
export function torchEnvironment(where: PythonLocation = locatePython()): { env: WorkerEnv | null; problem?: string } {
  if (!existsSync(where.python))
    return { env: null, problem: `no Python at ${where.python} (${where.source}): run native-models/setup-venv.sh, or set LOUPE_VENV` };
  const r = spawnSync(where.python, ['-m', 'loupe_worker', '--check'], {
    cwd: where.nativeModels,
    env: { ...process.env, PYTHONPATH: where.nativeModels },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0)
    return {
      env: null,
      problem: `${where.python} -m loupe_worker --check failed: ${(r.stderr || String(r.error ?? '')).trim().split('\n').slice(-3).join(' ')}`,
    };
  return { env: JSON.parse(r.stdout) as WorkerEnv };
}

export function torchRows(env: WorkerEnv | null, problem: string | undefined, driver: string | null, where: PythonLocation): DoctorRow[] {
  if (!env || env.missing.length > 0) {
    const reason = problem ?? `the venv lacks ${env?.missing.join(', ')}`;
    const fix =
      'Run native-models/setup-venv.sh (it installs torch, transformers and the rest into the venv), or point LOUPE_VENV at a venv that has them.';
    return [
      { engine: 'pytorch', device: 'cpu', usable: false, reason, fix },
      { engine: 'pytorch', device: 'cuda', usable: false, reason, fix },
    ];
  }
  const cpu: DoctorRow = {
    engine: 'pytorch',
    device: 'cpu',
    usable: true,
    detail: `torch ${env.torch}, transformers ${env.transformers}; fp32, bf16, fp16`,
  };
  const cuda = env.cuda;
  const pip = `${where.python.replace(/python$/, 'pip')}`;
  let gpu: DoctorRow;
  if (cuda?.available) {
    const names = cuda.devices
      .map((d) => `${d.name} (${(d.totalBytes / 1024 ** 3).toFixed(0)} GiB, ${(d.freeBytes / 1024 ** 3).toFixed(1)} GiB free)`)
      .join(', ');
    gpu = {
      engine: 'pytorch',
      device: 'cuda',
      usable: true,
      detail: `torch built for CUDA ${cuda.builtFor}, cuDNN ${cuda.cudnn ?? '?'}; ${names}`,
    };
  } else if (!cuda?.builtFor) {
    gpu = {
      engine: 'pytorch',
      device: 'cuda',
      usable: false,
      reason: cuda?.why ?? 'this torch has no CUDA support',
      fix: `Install a CUDA build of torch into the venv: \`${pip} install --force-reinstall torch --index-url https://download.pytorch.org/whl/cu124\` (it needs an NVIDIA driver: ${driver ? `driver ${driver} is loaded` : 'none is loaded'}).`,
    };
  } else {
    gpu = {
      engine: 'pytorch',
      device: 'cuda',
      usable: false,
      reason: cuda.why ?? `torch is built for CUDA ${cuda.builtFor} but sees no GPU`,
      fix: driver
        ? `Driver ${driver} is loaded: check that it supports CUDA ${cuda.builtFor} (nvidia-smi shows the highest CUDA it supports) and that CUDA_VISIBLE_DEVICES does not hide the GPU.`
        : 'Install the NVIDIA driver (nvidia-smi must list the GPU).',
    };
  }
  return [cpu, gpu];
}

export function doctorReport(): DoctorReport {
  const driver = nvidiaDriver();
  const where = locatePython();
  const { env, problem } = torchEnvironment(where);
  return {
    onnxruntime: ortVersion(),
    nvidiaDriver: driver,
    python: where,
    torch: env,
    rows: [...onnxRows(driver), ...torchRows(env, problem, driver, where)],
  };
}
