// The ONNX engine's per-request memory guard. The load check planned for the engine's default budget
// (the package's protocol, LOUPE_MAX_PIXELS); a request may still ask for more (the hf protocol's 12.8 MP,
// or a --max-pixels over the engine's), and onnxruntime would then be killed halfway through a batch.
// Checked, as the PyTorch engine checks its requests, before anything is preprocessed.
import type { PreprocessProtocol } from '../../contract/types.js';
import { availableRamBytes, checkRunFits } from './memory-estimate.js';
import type { ModelRuntime } from './runtime.js';

export interface RequestMemory {
  protocol: PreprocessProtocol;
  maxPixels?: number;
  maxNewTokens: number;
}

/**
 * Throws a BadRequestError (field maxPixels) when this request's caches, taps and activations would not fit.
 * onnxruntime's CPU arena keeps what earlier requests allocated (the process's RSS over its RSS after load):
 * that memory is reused, not needed again, so it counts as available.
 */
export async function checkOnnxRequestFits(
  rt: ModelRuntime,
  req: RequestMemory,
  readAvailable: () => Promise<number> = availableRamBytes,
  rss: () => number = () => process.memoryUsage.rss(),
): Promise<void> {
  if (rt.provider !== 'cpu') return; // GPU memory is the provider's; onnxruntime reports its own failure there
  const maxPixels = req.maxPixels ?? rt.maxPixels;
  const arena = Math.max(0, rss() - rt.memory.rssAfterLoad);
  checkRunFits(
    rt.memory.dims,
    {
      dtype: 'fp32',
      device: 'cpu',
      protocol: req.protocol,
      checkpointMaxPixels: rt.imageConfig.maxPixels,
      maxNewTokens: req.maxNewTokens,
      engine: 'onnx',
      ...(maxPixels !== undefined ? { maxPixels } : {}),
    },
    {
      device: 'cpu',
      availableBytes: (await readAvailable()) + arena,
      what: "available RAM (MemAvailable, plus onnxruntime's arena from earlier requests)",
    },
  );
}
