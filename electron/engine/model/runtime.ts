// A loaded model: validated package, onnxruntime sessions on the chosen provider, the transformers.js
// processor and Qwen-VL model class. Everything an analysis needs, and one dispose() that frees it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type ort from 'onnxruntime-node';
import type { LoadedModel, ModelInfo, PreprocessProtocol, ProviderChoice, ProviderName } from '../../contract/types.js';
import { InvalidModelError, throwIfAborted } from '../errors.js';
import { readProcessorConfig, type ImageProcessorConfig } from '../preprocess/processor-config.js';
import { DEFAULT_PROTOCOL } from '../preprocess/pipeline.js';
import { packageProtocol } from '../preprocess/protocol.js';
import { SESSION_NAMES, sessionFile, type ModelSpec, type SessionName } from './package.js';
import { createSessions, type Attempt } from './providers.js';
import { buildQwenModel, loadProcessor, type QwenModel, type QwenProcessor } from './transformers.js';
import { validateModelDir } from './validate.js';
import { availableRamBytes, checkFits, onnxPackageDims, type MemoryBudget, type ModelDims } from './memory-estimate.js';
import { torchLoadedModel, type TorchRuntime } from '../torch/runtime.js';

export interface ModelRuntime {
  kind: 'onnx';
  info: ModelInfo;
  spec: ModelSpec;
  provider: ProviderName;
  attempts: Attempt[];
  sessions: Record<SessionName, ort.InferenceSession>;
  /** Tokenizer and chat template (transformers.js); its image processor is not used. */
  processor: QwenProcessor;
  /** preprocessor_config.json as the Python processor reads it: Loupe's own image path uses it. */
  imageConfig: ImageProcessorConfig;
  /** The protocol the package names in loupe.json `preprocessing.protocol`, when it names one. */
  packageProtocol?: PreprocessProtocol;
  model: QwenModel;
  /** Set when the template lives in chat_template.json/.jinja rather than tokenizer_config.json. */
  chatTemplate?: string;
  /** ONNX element type of the KV cache inputs: the empty cache of a prefill must match it. */
  kvType: 'float32' | 'float16';
  /** Element type of the decoder's float activations (inputs_embeds, deepstack_embeds): float16 in fp16 packages. */
  floatType: 'float32' | 'float16';
  /** The engine's pixel budget (LOUPE_MAX_PIXELS): a request without its own --max-pixels gets it. */
  maxPixels?: number;
  /** What the per-request memory guard needs: the package's dimensions and the process's RSS after load. */
  memory: { dims: ModelDims; rssAfterLoad: number };
  dispose(): Promise<void>;
}

/** A loaded model on either engine: an ONNX package or a Hugging Face checkpoint in the PyTorch worker. */
export type AnyRuntime = ModelRuntime | TorchRuntime;

export function loadedModelOf(rt: AnyRuntime): LoadedModel {
  if (rt.kind === 'torch') return torchLoadedModel(rt);
  return { modelId: rt.info.id, provider: rt.provider, providerAttempts: rt.attempts };
}

/** Refuses a folder with validation issues, listing them all in one message. */
export function assertUsable(info: ModelInfo): void {
  if (info.issues.length === 0) return;
  const first = info.issues[0];
  const list = info.issues
    .slice(0, 12)
    .map((i) => `${i.file}${i.field ? ` (${i.field})` : ''}: ${i.message}`)
    .join('\n');
  const more = info.issues.length > 12 ? `\n... and ${info.issues.length - 12} more` : '';
  throw new InvalidModelError(`${info.dir} is not a usable model package:\n${list}${more}`, {
    file: first.file,
    ...(first.field ? { field: first.field } : {}),
  });
}

async function readChatTemplate(dir: string): Promise<string | undefined> {
  try {
    const tok = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    if (tok['chat_template'] !== undefined) return undefined; // transformers.js reads it itself
  } catch {
    return undefined;
  }
  try {
    return await readFile(join(dir, 'chat_template.jinja'), 'utf8');
  } catch {
    // fall through to the JSON form
  }
  try {
    const parsed = JSON.parse(await readFile(join(dir, 'chat_template.json'), 'utf8')) as Record<string, unknown>;
    return typeof parsed['chat_template'] === 'string' ? parsed['chat_template'] : undefined;
  } catch {
    return undefined;
  }
}

export async function loadRuntime(
  dir: string,
  choice: ProviderChoice,
  options: {
    bundled?: boolean;
    signal?: AbortSignal;
    budget?: MemoryBudget;
    /** The engine's default protocol, for the guard (a package's own `preprocessing.protocol` comes first). */
    protocol?: PreprocessProtocol;
    /** The engine's pixel budget (LOUPE_MAX_PIXELS): the guard plans for it and requests default to it. */
    maxPixels?: number;
    /** The budget the guard plans this load for when the caller names one (maxPixels otherwise); not a cap. */
    planPixels?: number;
  } = {},
): Promise<ModelRuntime> {
  const validated = await validateModelDir(dir, { bundled: options.bundled ?? false });
  assertUsable(validated.info);
  const spec = validated.spec;
  if (!spec) throw new InvalidModelError(`${dir}: config.json could not be understood.`, { file: 'config.json' });
  const info = validated.info;
  throwIfAborted(options.signal);
  // The memory guard, with the same accounting as the PyTorch engine (onnxruntime computes in fp32 here).
  const budget = options.budget ?? {
    device: 'cpu' as const,
    availableBytes: await availableRamBytes(),
    what: 'available RAM (MemAvailable)',
  };
  const imageConfig = await readProcessorConfig(info.dir);
  // Checked at the budget the package's requests get by default (its own protocol, else the engine's), not
  // at the hf budget whatever the package: a request can then lower it further with its own --max-pixels.
  const memoryDims = await onnxPackageDims(info.dir, spec);
  const plan = options.planPixels ?? options.maxPixels;
  checkFits(
    memoryDims,
    {
      dtype: 'fp32',
      device: budget.device,
      protocol: packageProtocol(info.manifest) ?? options.protocol ?? DEFAULT_PROTOCOL,
      checkpointMaxPixels: imageConfig.maxPixels,
      engine: 'onnx',
      ...(plan !== undefined ? { maxPixels: plan } : {}),
    },
    budget,
  );

  const files = Object.fromEntries(SESSION_NAMES.map((n) => [n, join(info.dir, sessionFile(n))])) as Record<SessionName, string>;
  const { sessions, provider, attempts } = await createSessions(files, choice, options.signal);
  const release = async (): Promise<void> => {
    for (const s of Object.values(sessions)) await s.release().catch(() => undefined);
  };
  try {
    throwIfAborted(options.signal);
    const processor = await loadProcessor(info.dir);
    const model = await buildQwenModel(info.dir, spec.family, sessions);
    const chatTemplate = await readChatTemplate(info.dir);
    const decoderInputs = validated.io.decoder_model_merged?.inputs ?? [];
    const pastType = decoderInputs.find((i) => i.name === 'past_key_values.0.key')?.elemType;
    const embedsType = decoderInputs.find((i) => i.name === 'inputs_embeds')?.elemType;
    let disposed = false;
    const rt: ModelRuntime = {
      kind: 'onnx',
      info,
      spec,
      provider,
      attempts,
      sessions,
      processor,
      imageConfig,
      model,
      kvType: pastType === 10 ? 'float16' : 'float32',
      floatType: embedsType === 10 ? 'float16' : 'float32',
      memory: { dims: memoryDims, rssAfterLoad: process.memoryUsage.rss() },
      async dispose() {
        if (disposed) return;
        disposed = true;
        await release();
      },
    };
    if (chatTemplate !== undefined) rt.chatTemplate = chatTemplate;
    const own = packageProtocol(info.manifest);
    if (own) rt.packageProtocol = own;
    if (options.maxPixels !== undefined) rt.maxPixels = options.maxPixels;
    return rt;
  } catch (err) {
    await release();
    if (err instanceof InvalidModelError) throw err;
    throw new InvalidModelError(`${info.dir}: the processor or tokenizer could not be loaded: ${(err as Error).message}`, {
      file: 'preprocessor_config.json',
      cause: err,
    });
  }
}
