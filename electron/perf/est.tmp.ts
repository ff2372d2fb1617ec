import { validateHfCheckpoint } from '../engine/model/hf-checkpoint.js';
import { dimsOf, estimateMemory, gib } from '../engine/model/memory-estimate.js';
const spec = (await validateHfCheckpoint(process.argv[2])).spec!;
const d = dimsOf(spec);
for (const px of [undefined, 1200 * 1024]) {
  const e = estimateMemory(d, { dtype: 'fp32', device: 'cpu', protocol: 'paper', maxNewTokens: 4, ...(px ? { maxPixels: px } : {}) });
  console.log(px ?? 'paper', Object.entries(e).map(([k, v]) => `${k}=${k === 'visualTokens' || k === 'sequence' ? v : gib(v)}`).join(' '));
}
