// Options of the opt-in analyses shared by `loupe inspect` and `loupe bench`: --self-zoom with its crop
// rule and map, --faithfulness with its fractions, seeds and layers (docs/cli.md, docs/metrics.md).
import {
  SELF_ZOOM_INPUTS,
  type CropRuleSpec,
  type FaithfulnessOptions,
  type SelfZoomInput,
  type SelfZoomOptions,
} from '../contract/analyses.js';
import { flag, parseIntOption, parseLayers, str, type OptionSpec, type Parsed } from './args.js';
import { usageError } from './exit-codes.js';

export const ANALYSES_OPTIONS = {
  'self-zoom': { type: 'boolean' },
  'zoom-crop': { type: 'string' },
  'zoom-layers': { type: 'string' },
  'zoom-relative': { type: 'boolean' },
  'zoom-input': { type: 'string' },
  faithfulness: { type: 'boolean' },
  'deletion-fractions': { type: 'string' },
  'random-seeds': { type: 'string' },
  'faithfulness-layers': { type: 'string' },
  activation: { type: 'boolean' },
  'no-context-correction': { type: 'boolean' },
} as const satisfies OptionSpec;

export const ANALYSES_USAGE = `  --self-zoom           crop around the attention peak and ask again (docs/metrics.md)
  --zoom-crop RULE      fixed:F (a window of fraction F of each side, default fixed:0.5) or
                        adaptive:S (ViCrop: squares of S..2S original pixels, the sharpest wins)
  --zoom-layers A-B     layer or layer range whose head-mean map is cropped (default: the model's)
  --zoom-relative       crop on attention relative to the generic prompt
  --zoom-input WHAT     crop (ask on the crop alone, default) or crop+full (ViCrop: the full image,
                        then the crop, in one turn)
  --faithfulness        delete the most attended cells, random cells and the key box, ask again
  --deletion-fractions  fractions of the visual cells deleted (default 0.05,0.1,0.2)
  --random-seeds N      random deletions per fraction (default 3)
  --faithfulness-layers layers whose maps rank the cells: 1,4,20-24 or all (default: the model's)
`;

export const ACTIVATION_USAGE = `  --activation          activation maps of the answer tokens beside attention (needs the decoder's
                        hidden states: loupe tap MODEL_DIR --hidden-states; tied embeddings)
  --no-context-correction  the raw maps, without removing earlier tokens' interference
`;

function parseCrop(value: string | undefined): CropRuleSpec | undefined {
  if (value === undefined) return undefined;
  const m = /^(fixed|adaptive):([0-9.]+)$/.exec(value.trim());
  const n = m ? Number(m[2]) : NaN;
  if (m?.[1] === 'fixed' && n > 0 && n <= 1) return { mode: 'fixed', fraction: n };
  if (m?.[1] === 'adaptive' && n > 0) return { mode: 'adaptive', baseSide: n };
  throw usageError(`--zoom-crop must be fixed:F with 0 < F <= 1 or adaptive:S with S > 0 pixels; got "${value}".`);
}

function parseInput(value: string | undefined): SelfZoomInput | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if ((SELF_ZOOM_INPUTS as readonly string[]).includes(v)) return v as SelfZoomInput;
  throw usageError(`--zoom-input must be ${SELF_ZOOM_INPUTS.join(' or ')}; got "${value}".`);
}

function parseRange(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(value);
  const from = m ? Number(m[1]) : NaN;
  const to = m?.[2] !== undefined ? Number(m[2]) : from;
  if (!m || from < 1 || to < from) throw usageError(`--zoom-layers must be a 1-based layer N or range A-B; got "${value}".`);
  return [from, to];
}

function parseFractions(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length === 0 || parts.some((f) => !(f > 0 && f <= 1)))
    throw usageError(`--deletion-fractions must be numbers in (0, 1] separated by commas; got "${value}".`);
  return parts;
}

export interface AnalysesArgs {
  selfZoom?: SelfZoomOptions;
  faithfulness?: FaithfulnessOptions;
  /** --faithfulness-layers all: every layer of the model, filled in by forModel once the model is known. */
  faithfulnessAllLayers?: boolean;
}

/** The analyses asked for; options of an analysis that was not asked for are a usage error (they would do nothing). */
export function parseAnalyses(p: Parsed): AnalysesArgs {
  const out: AnalysesArgs = {};
  const zoomOpts = ['zoom-crop', 'zoom-layers', 'zoom-relative', 'zoom-input'].filter((k) => p.values[k] !== undefined);
  if (!flag(p, 'self-zoom') && zoomOpts.length > 0) throw usageError(`--${zoomOpts[0]} needs --self-zoom.`);
  if (flag(p, 'self-zoom')) {
    const crop = parseCrop(str(p, 'zoom-crop'));
    const layers = parseRange(str(p, 'zoom-layers'));
    const input = parseInput(str(p, 'zoom-input'));
    out.selfZoom = {
      ...(crop ? { crop } : {}),
      ...(layers ? { layers } : {}),
      ...(flag(p, 'zoom-relative') ? { relative: true } : {}),
      ...(input ? { input } : {}),
    };
  }
  const delOpts = ['deletion-fractions', 'random-seeds', 'faithfulness-layers'].filter((k) => p.values[k] !== undefined);
  if (!flag(p, 'faithfulness') && delOpts.length > 0) throw usageError(`--${delOpts[0]} needs --faithfulness.`);
  if (flag(p, 'faithfulness')) {
    const fractions = parseFractions(str(p, 'deletion-fractions'));
    const seeds = parseIntOption(str(p, 'random-seeds'), 'random-seeds', 1);
    const layerText = str(p, 'faithfulness-layers');
    // parseLayers gives [] for "all".
    const layers = layerText !== undefined ? parseLayers(layerText) : undefined;
    out.faithfulness = {
      ...(fractions ? { fractions } : {}),
      ...(seeds !== undefined ? { randomSeeds: seeds } : {}),
      ...(layers && layers.length > 0 ? { layers } : {}),
    };
    if (layers && layers.length === 0) out.faithfulnessAllLayers = true;
  }
  return out;
}

/** The request fields for a model with `numLayers` layers ("all" spelled out). */
export function forModel(a: AnalysesArgs, numLayers: number): { selfZoom?: SelfZoomOptions; faithfulness?: FaithfulnessOptions } {
  const out: { selfZoom?: SelfZoomOptions; faithfulness?: FaithfulnessOptions } = {};
  if (a.selfZoom) out.selfZoom = a.selfZoom;
  if (a.faithfulness)
    out.faithfulness = a.faithfulnessAllLayers
      ? { ...a.faithfulness, layers: Array.from({ length: numLayers }, (_, i) => i + 1) }
      : a.faithfulness;
  return out;
}
