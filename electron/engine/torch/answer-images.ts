// The PyTorch engine's multi-image answer (analysis/multi-image.ts): the worker builds the prompt with one
// image entry per image through the checkpoint's own chat template and processor, under each image's
// protocol, and decodes greedily (native-models/loupe_worker/multi_image.py).
import type { AnswerImagesRequest, ImagesAnswer } from '../analysis/multi-image.js';
import type { AnalysisHooks } from '../analysis/stages.js';
import { BadRequestError, InvalidModelError, throwIfAborted } from '../errors.js';
import type { DecodedImage } from '../image/decode.js';
import type { TorchRuntime } from './runtime.js';
import type { Blob } from './wire.js';

export async function answerImagesTorch(
  rt: TorchRuntime,
  images: readonly DecodedImage[],
  req: AnswerImagesRequest,
  hooks: AnalysisHooks = {},
): Promise<ImagesAnswer> {
  const protocols = new Set(images.map((im) => im.protocol));
  if (protocols.size !== 1)
    throw new BadRequestError('The images of one multi-image question must be decoded for the same protocol.', { field: 'protocol' });
  await rt.ensureWorker(hooks.signal);
  const blobs: Record<string, Blob> = {};
  images.forEach((im, i) => {
    blobs[`rgb${i}`] = { dtype: 'uint8', shape: [im.height, im.width, 3], data: im.rgb };
  });
  const frame = await rt.worker.call(
    'answerImages',
    {
      question: req.question,
      maxNewTokens: req.maxNewTokens,
      images: images.length,
      protocol: images[0].protocol,
      maxPixels: req.preprocess?.maxPixels ?? rt.maxPixels ?? null,
    },
    blobs,
    hooks.signal,
  );
  throwIfAborted(hooks.signal);
  const out = frame.header['result'] as Partial<ImagesAnswer> | undefined;
  if (
    !out ||
    typeof out.answer !== 'string' ||
    !Array.isArray(out.tokens) ||
    !Array.isArray(out.visualTokens) ||
    !Array.isArray(out.geometries) ||
    out.geometries.length !== images.length
  )
    throw new InvalidModelError('The PyTorch worker returned no answer (or not one grid per image) for the multi-image question.');
  return { prompt: out.prompt ?? '', answer: out.answer, tokens: out.tokens, visualTokens: out.visualTokens, geometries: out.geometries };
}
