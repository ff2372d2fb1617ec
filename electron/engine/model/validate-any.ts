// One entry point for "what is this model folder": a Hugging Face checkpoint (safetensors weights, no
// onnx/ folder: the PyTorch engine) or an ONNX package (everything else, validated as before).
import type { ModelInfo } from '../../contract/types.js';
import { isHfCheckpoint, validateHfCheckpoint } from './hf-checkpoint.js';
import { validateModelDir } from './validate.js';

export async function validateAnyModelDir(dir: string, options: { bundled?: boolean } = {}): Promise<{ info: ModelInfo }> {
  if (await isHfCheckpoint(dir)) return validateHfCheckpoint(dir, options);
  const { info } = await validateModelDir(dir, options);
  return { info: { ...info, engine: 'onnx' } };
}
