// Dashboard card of a run's activation maps (docs/metrics.md "Activation maps"): how well the first answer
// token's activation map agrees with the attention map of the position that produced it (Spearman, with
// its bootstrap CI), and how much of each falls in the key box, overall and per dimension.
import type { ActivationSummary } from '../../../../electron/contract/analyses.js';
import { Bars } from '../../charts/Bars.js';
import { ChartCard } from '../../charts/ChartCard.js';
import { pct } from '../../components/common.js';

const ci = (c: { mean: number; lo: number; hi: number; n: number }) =>
  `${c.mean.toFixed(3)} [95% CI ${c.lo.toFixed(3)}, ${c.hi.toFixed(3)}], n=${c.n}`;

export function ActivationChart({ a, source, fileBase }: { a: ActivationSummary; source: string; fileBase: string }) {
  const groups = [
    ['all', { coverageActivation: a.coverage.activation.mean, coverageAttention: a.coverage.attention.mean, items: a.items }] as const,
    ...Object.entries(a.byDimension),
  ];
  return (
    <ChartCard
      title="Activation vs attention"
      testId="chart-activation"
      note={
        <>
          First answer token’s activation map (final hidden states against its unembedding row
          {a.contextCorrection ? ', context-corrected' : ''}) vs the attention of the position that produced it (layer {a.layer}, mean of
          heads), {a.items} items. Spearman ρ: <strong data-testid="activation-run-spearman">{ci(a.spearmanFirst)}</strong>; mean over each
          answer’s tokens {ci(a.spearmanTokens)}. Pointing game: activation {pct(a.pointing.activation ?? undefined, 0)}, attention{' '}
          {pct(a.pointing.attention ?? undefined, 0)} ({a.pointing.items} items with a box).
        </>
      }
      caption={`Paper coverage of the key box by the first answer token's activation map and by attention (layer ${a.layer}), per dimension. ${source}.`}
      fileBase={fileBase}
    >
      {(w, h) => (
        <Bars
          groups={groups.map(([dim, g]) => ({
            label: dim,
            bars: [
              {
                key: 'activation',
                value: g.coverageActivation ?? 0,
                cls: 'third',
                title: `${dim} · activation coverage ${g.coverageActivation?.toFixed(3) ?? 'n/a'} (${g.items} items)`,
              },
              {
                key: `attention L${a.layer}`,
                value: g.coverageAttention ?? 0,
                title: `${dim} · attention coverage ${g.coverageAttention?.toFixed(3) ?? 'n/a'}`,
              },
            ],
          }))}
          yLabel="paper coverage"
          format={(v) => v.toFixed(2)}
          domain={[0, 1]}
          width={w}
          height={h}
        />
      )}
    </ChartCard>
  );
}
