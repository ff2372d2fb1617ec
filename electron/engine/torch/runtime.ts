// A Hugging Face checkpoint loaded in the PyTorch worker, behind the same surface the analysis code uses
// for an ONNX package: info, provider (the torch device: cpu or cuda), attempts, dispose(). The worker is
// restarted and the model reloaded when it died since the last request (worker-process.ts).
import type { LoadedModel, ModelInfo, PreprocessProtocol, ProviderChoice, ProviderName, TorchDtype } from '../../contract/types.js';
import { BadRequestError, throwIfAborted } from '../errors.js';
import { validateHfCheckpoint, type HfSpec } from '../model/hf-checkpoint.js';
import { assertUsable } from '../model/runtime.js';
import { availableRamBytes, checkFits, type MemoryBudget } from '../model/memory-estimate.js';
import { locatePython, TorchWorker, type WorkerEnv } from './worker-process.js';

export const TORCH_DTYPES: TorchDtype[] = ['fp32', 'bf16', 'fp16'];

/** What the worker measured on its last analysis (the bench reads it; not part of the contract). */
export interface TorchStats {
  tapBytes: number;
  fullAttentionBytes: number;
  promptLength: number;
  peakRssBytes: number;
  peakGpuBytes?: number;
}

export interface TorchRuntime {
  kind: 'torch';
  info: ModelInfo;
  spec: HfSpec;
  provider: ProviderName;
  attempts: LoadedModel['providerAttempts'];
  dtype: TorchDtype;
  /** "torch 2.13.0+cpu, transformers 5.18.0". */
  runtimeVersions: string;
  protocol: PreprocessProtocol;
  maxPixels?: number;
  worker: TorchWorker;
  env: WorkerEnv;
  loadSeconds: number;
  lastStats?: TorchStats;
  /** Starts a new worker and loads the model again when the previous worker died. */
  ensureWorker(signal?: AbortSignal): Promise<void>;
  dispose(): Promise<void>;
}

export interface TorchLoadOptions {
  dtype?: TorchDtype;
  bundled?: boolean;
  signal?: AbortSignal;
  protocol?: PreprocessProtocol;
  maxPixels?: number;
  /** The budget the memory guard plans this load for when the caller names one (maxPixels otherwise); not a cap. */
  planPixels?: number;
  log?: (line: string) => void;
  /** Memory the guard may plan with; measured here when absent. */
  budget?: MemoryBudget;
}

export function torchLoadedModel(rt: TorchRuntime): LoadedModel {
  return { modelId: rt.info.id, provider: rt.provider, providerAttempts: rt.attempts, dtype: rt.dtype, runtime: rt.runtimeVersions };
}

function deviceFor(choice: ProviderChoice): 'auto' | 'cpu' | 'cuda' {
  if (choice === 'webgpu')
    throw new BadRequestError('The PyTorch engine runs on cpu or cuda; webgpu is an onnxruntime provider. Choose auto, cpu or cuda.', {
      field: 'provider',
    });
  return choice;
}

export async function loadTorchRuntime(dir: string, choice: ProviderChoice, options: TorchLoadOptions = {}): Promise<TorchRuntime> {
  const dtype = options.dtype ?? 'fp32';
  if (!TORCH_DTYPES.includes(dtype))
    throw new BadRequestError(`dtype must be one of ${TORCH_DTYPES.join(', ')}; got ${JSON.stringify(dtype)}.`, { field: 'dtype' });
  const device = deviceFor(choice);
  const { info, spec } = await validateHfCheckpoint(dir, { bundled: options.bundled ?? false });
  assertUsable(info);
  if (!spec) throw new BadRequestError(`${dir}: config.json could not be understood.`, { file: 'config.json' });
  throwIfAborted(options.signal);
  const worker = new TorchWorker(locatePython(), options.log);
  const env = await worker.start();
  const cudaOk = env.cuda?.available === true;
  const attempts: LoadedModel['providerAttempts'] = [];
  if (device !== 'cpu') {
    attempts.push(
      cudaOk
        ? { provider: 'cuda', ok: true }
        : { provider: 'cuda', ok: false, error: env.cuda?.why ?? 'torch.cuda.is_available() is False' },
    );
  }
  const provider: ProviderName = device === 'cpu' || !cudaOk ? 'cpu' : 'cuda';
  if (device === 'cuda' && !cudaOk) {
    await worker.stop();
    throw new BadRequestError(
      `cuda was asked for, but ${env.cuda?.why ?? 'torch finds no GPU'}. Run \`loupe doctor\` for how to fix it, or choose cpu.`,
      { field: 'provider' },
    );
  }
  if (provider === 'cpu') attempts.push({ provider: 'cpu', ok: true });
  const plan = options.planPixels ?? options.maxPixels;
  checkFits(
    spec,
    { dtype, device: provider, protocol: options.protocol ?? 'paper', ...(plan !== undefined ? { maxPixels: plan } : {}) },
    options.budget ?? (await budgetFrom(env, provider)),
  );

  const load = async (signal?: AbortSignal): Promise<number> => {
    const frame = await worker.call('load', { folder: info.dir, dtype, device: provider }, {}, signal);
    return Number((frame.header['result'] as Record<string, unknown>)['loadSeconds']);
  };
  let loadSeconds: number;
  try {
    loadSeconds = await load(options.signal);
  } catch (err) {
    await worker.stop();
    throw err;
  }
  let loadedPid = worker.pid;
  const rt: TorchRuntime = {
    kind: 'torch',
    info,
    spec,
    provider,
    attempts,
    dtype,
    runtimeVersions: `torch ${env.torch ?? '?'}, transformers ${env.transformers ?? '?'}`,
    protocol: options.protocol ?? 'paper',
    worker,
    env,
    loadSeconds,
    async ensureWorker(signal) {
      if (worker.alive && worker.pid === loadedPid) return;
      await worker.start();
      rt.loadSeconds = await load(signal);
      loadedPid = worker.pid;
    },
    async dispose() {
      await worker.stop();
    },
  };
  if (options.maxPixels !== undefined) rt.maxPixels = options.maxPixels;
  return rt;
}

async function budgetFrom(env: WorkerEnv, device: ProviderName): Promise<MemoryBudget> {
  if (device === 'cuda') {
    const gpu = env.cuda?.devices[0];
    return { device: 'cuda', availableBytes: gpu?.freeBytes ?? 0, what: `free memory of ${gpu?.name ?? 'the GPU'}` };
  }
  return { device: 'cpu', availableBytes: await availableRamBytes(), what: 'available RAM (MemAvailable)' };
}
