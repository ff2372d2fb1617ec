// What model produced the numbers: family, depth and heads, the token grid of this analysis, where it
// runs (provider or device), the preprocessing protocol, and whether its outputs were checked against a
// reference implementation (parity), as far as the engine reports them.
import type { AnalysisResult, LoadedModel, ModelInfo } from '../../../electron/contract/types.js';
import { protocolOf } from '../selection/labels.js';

const FAMILY: Record<string, string> = { qwen2_vl: 'Qwen2-VL', qwen2_5_vl: 'Qwen2.5-VL', qwen3_vl: 'Qwen3-VL' };

/** Fields other engines add to ModelInfo / LoadedModel (engine kind, dtype, device), read when present. */
function extra(x: object | undefined, key: string): string | undefined {
  const v = (x as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/** What the model's manifest says about parity with its reference (a `parity` entry of loupe.json). */
function parityText(model: ModelInfo): string {
  const p = model.manifest?.parity;
  if (p === undefined || p === null) return 'not recorded in the model package';
  if (typeof p === 'string') return p;
  if (typeof p === 'object') {
    const r = p as Record<string, unknown>;
    const parts = [
      r.status,
      r.reference && `against ${String(r.reference)}`,
      r.maxAbsDiff !== undefined && `max |Δ| ${String(r.maxAbsDiff)}`,
    ];
    const text = parts.filter(Boolean).join(' ');
    if (text) return text;
  }
  return JSON.stringify(p);
}

export function ModelPanel({
  model,
  loaded,
  result,
}: {
  model: ModelInfo | undefined;
  loaded?: LoadedModel;
  result?: AnalysisResult | null;
}) {
  if (!model) return null;
  const g = result?.geometry;
  const device = extra(loaded, 'device') ?? extra(model, 'device');
  const engine = extra(model, 'engine') ?? extra(model, 'engineKind');
  const dtype = extra(loaded, 'dtype') ?? extra(model, 'dtype');
  const rows: [string, string][] = [
    ['family', FAMILY[model.family] ?? model.family],
    ['layers', `${model.numLayers} (default layer ${model.defaultLayer})`],
    ['heads', `${model.numHeads} query, ${model.numKvHeads} key/value`],
    [
      'grid',
      g
        ? `${g.gridW}×${g.gridH} tokens of ${g.tokenPx} px (image resized to ${g.resizedWidth}×${g.resizedHeight})`
        : 'run an analysis to see',
    ],
    ['runs on', [engine, loaded ? `${loaded.provider} provider` : 'not loaded yet', device, dtype].filter(Boolean).join(' · ')],
    ['protocol', protocolOf(result) ?? (result ? 'not reported by this engine' : 'run an analysis to see')],
    ['parity', parityText(model)],
    ['files', `hash ${model.hash}${model.bundled ? ' · bundled' : ''}`],
  ];
  return (
    <details className="model-panel" data-testid="model-panel">
      <summary>
        Model · <strong>{model.name}</strong>
      </summary>
      <table className="metrics">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td className="wrap">{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
