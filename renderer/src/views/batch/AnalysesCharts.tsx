// Dashboard charts of a run's opt-in analyses (docs/metrics.md): global, self-zoom and regional accuracy
// per dimension with the share of the zooming gap self-zoom recovers, and the deletion area per layer
// against random deletion, overall and per dimension.
import type { RunSummary } from '../../../../electron/contract/types.js';
import { Bars } from '../../charts/Bars.js';
import { ChartCard } from '../../charts/ChartCard.js';
import { pct } from '../../components/common.js';
import { ActivationChart } from './ActivationChart.js';

const fmtPct = (v: number) => `${v.toFixed(0)}%`;
const ci = (c: { mean: number; lo: number; hi: number; n: number }) =>
  `${c.mean.toFixed(3)} [95% CI ${c.lo.toFixed(3)}, ${c.hi.toFixed(3)}], n=${c.n}`;

export function AnalysesCharts({ summary, source, fileBase }: { summary: RunSummary; source: string; fileBase: string }) {
  const z = summary.selfZoom;
  const f = summary.faithfulness;
  const act = summary.activation;
  if (!z && !f && !act) return null;
  const g = z?.gapRecovered;
  return (
    <>
      {z ? (
        <ChartCard
          title="Global, self-zoom and regional accuracy"
          testId="chart-self-zoom"
          note={
            <>
              Over the {z.accuracy.items} items with all three answers. Share of the zooming gap self-zoom recovers:{' '}
              <strong data-testid="gap-recovered">
                {g && g.value !== null
                  ? `${pct(g.value, 0)} [95% CI ${pct(g.lo ?? undefined, 0)}, ${pct(g.hi ?? undefined, 0)}]`
                  : 'n/a (no gap)'}
              </strong>
              . Per item: {z.outcomes.onePass} solved in one pass ({z.outcomes.selfZoomHurts} lost by self-zoom), {z.outcomes.selfZoom}{' '}
              fixed by self-zoom, {z.outcomes.needsKeyRegion} need the key region, {z.outcomes.unsolved} unsolved. Crop vs key box: IoU{' '}
              {ci(z.iou)}; centre inside for {pct(z.centreInside, 0)}.
            </>
          }
          caption={`Accuracy over all items per dimension: full image, self-zoom crop (own attention), key-region crop. ${source}.`}
          fileBase={fileBase}
        >
          {(w, h) => (
            <Bars
              groups={[['all', z.accuracy] as const, ...Object.entries(z.byDimension)].map(([dim, t]) => ({
                label: dim,
                bars: [
                  { key: 'global', value: t.global.accuracy * 100, title: `${dim} · global ${pct(t.global.accuracy, 1)} of ${t.items}` },
                  {
                    key: 'self-zoom',
                    value: t.selfZoom.accuracy * 100,
                    cls: 'third',
                    title: `${dim} · self-zoom ${pct(t.selfZoom.accuracy, 1)}`,
                  },
                  {
                    key: 'regional',
                    value: t.regional.accuracy * 100,
                    cls: 'alt',
                    title: `${dim} · regional ${pct(t.regional.accuracy, 1)}`,
                  },
                ],
              }))}
              yLabel="accuracy (%)"
              format={fmtPct}
              domain={[0, 100]}
              width={w}
              height={h}
            />
          )}
        </ChartCard>
      ) : null}
      {f ? (
        <>
          <ChartCard
            title="Deletion area per layer vs random"
            testId="chart-deletion"
            note={
              <>
                Mean first-token probability under the deletion curve ({f.fractions.map((x) => pct(x, 0)).join(', ')} of cells mean-filled),{' '}
                {f.items} items; lower = that layer’s attention found more of what the answer depends on. Most faithful layer:{' '}
                <strong>{f.mostFaithfulLayer ?? 'n/a'}</strong>.{f.box ? ` Key box removed: mean drop ${ci(f.box.drop)}.` : ''}
              </>
            }
            caption={`Deletion area (mean probability of the original first token) per layer's top cells and for random cells. ${source}.`}
            fileBase={fileBase}
          >
            {(w, h) => (
              <Bars
                groups={[
                  ...Object.entries(f.byLayer).map(([l, v]) => ({
                    label: `layer ${l}`,
                    bars: [{ key: 'area', value: v.area.mean, title: `layer ${l}: ${ci(v.area)}; minus random ${ci(v.minusRandom)}` }],
                  })),
                  {
                    label: 'random',
                    bars: [{ key: 'area', value: f.random.area.mean, cls: 'alt', title: `random: ${ci(f.random.area)}` }],
                  },
                ]}
                yLabel="deletion area"
                format={(v) => v.toFixed(2)}
                domain={[0, 1]}
                width={w}
                height={h}
              />
            )}
          </ChartCard>
          <ChartCard
            title="Deletion area per dimension"
            testId="chart-deletion-dimension"
            note="Mean deletion area per dimension for each layer's top cells and for random cells; lower = more faithful."
            caption={`Deletion area per dimension and layer, and for random cells. ${source}.`}
            fileBase={fileBase}
          >
            {(w, h) => (
              <Bars
                groups={Object.entries(f.byDimension).map(([dim, d]) => ({
                  label: dim,
                  bars: [
                    ...Object.entries(d.byLayer).map(([l, v]) => ({
                      key: `layer ${l}`,
                      value: v,
                      title: `${dim} · layer ${l}: ${v.toFixed(3)}`,
                    })),
                    { key: 'random', value: d.random, cls: 'alt', title: `${dim} · random: ${d.random.toFixed(3)}` },
                  ],
                }))}
                yLabel="deletion area"
                format={(v) => v.toFixed(2)}
                domain={[0, 1]}
                width={w}
                height={h}
              />
            )}
          </ChartCard>
        </>
      ) : null}
      {act ? <ActivationChart a={act} source={source} fileBase={fileBase} /> : null}
    </>
  );
}
