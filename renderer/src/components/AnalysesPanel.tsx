// The self-zoom and faithfulness results of one analysis (Inspect and Replay): the self-zoom crop drawn
// on the image beside the key box with its numbers, and the deletion curves with their areas. Every
// number says what it is (docs/metrics.md).
import type { AnalysisResult, Box } from '../../../electron/contract/types.js';
import { DeletionCurve, meanCurve } from '../charts/DeletionCurve.js';
import { Sized } from './Sized.js';
import { answerText, pct } from './common.js';

function CropSketch({
  imageUrl,
  width,
  height,
  keyBox,
  crop,
}: {
  imageUrl: string;
  width: number;
  height: number;
  keyBox: Box | null;
  crop: Box;
}) {
  const rect = (b: Box, cls: string) => <rect className={cls} x={b[0]} y={b[1]} width={b[2] - b[0]} height={b[3] - b[1]} />;
  return (
    <svg
      className="crop-sketch"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label="Self-zoom crop (dashed) and key box (solid) on the image"
      data-testid="self-zoom-sketch"
    >
      <image href={imageUrl} x={0} y={0} width={width} height={height} />
      {keyBox ? rect(keyBox, 'key-box') : null}
      {rect(crop, 'zoom-crop')}
    </svg>
  );
}

const layersText = (l: [number, number]) => (l[0] === l[1] ? `layer ${l[0]}` : `layers ${l[0]}–${l[1]}`);

export function AnalysesPanel({
  result,
  imageUrl,
  keyBox,
  judge,
}: {
  result: AnalysisResult;
  imageUrl: string;
  keyBox: Box | null;
  /** The self-zoom answer's judgement, when a ground truth is known (bench items). */
  judge?: (answer: string) => string;
}) {
  const sz = result.selfZoom;
  const f = result.faithfulness;
  if (!sz && !f) return null;
  const g = result.geometry;
  return (
    <>
      {sz ? (
        <section data-testid="self-zoom-panel">
          <h2>Self-zoom</h2>
          <CropSketch imageUrl={imageUrl} width={g.imageWidth} height={g.imageHeight} keyBox={keyBox} crop={sz.box} />
          <div className="muted small">
            Crop (dashed) around the peak of the {layersText(sz.layers)} head-mean map
            {sz.relative ? ', relative to the generic prompt' : ''},{' '}
            {sz.rule.mode === 'fixed' ? `${sz.rule.fraction} of each side` : `ViCrop adaptive, base ${sz.rule.baseSide} px`}; key box solid.
          </div>
          <dl className="kv">
            <dt>crop</dt>
            <dd>
              [{sz.box.join(', ')}] px · holds {pct(sz.windowMass, 1)} of the map
            </dd>
            {sz.iou !== undefined ? (
              <>
                <dt>IoU with key box</dt>
                <dd data-testid="self-zoom-iou">{sz.iou.toFixed(3)}</dd>
                <dt>key-box centre</dt>
                <dd>{sz.centreInside ? 'inside the crop' : 'outside the crop'}</dd>
              </>
            ) : null}
            <dt>{sz.input === 'crop+full' ? 'answer on full image + crop (ViCrop input)' : 'answer on the crop'}</dt>
            <dd data-testid="self-zoom-answer">
              {answerText(sz.answer)}
              {judge ? ` (${judge(sz.answer)})` : ''} · full image: {answerText(result.answer)}
            </dd>
          </dl>
        </section>
      ) : null}
      {f ? (
        <section data-testid="faithfulness-panel">
          <h2>Faithfulness (deletion)</h2>
          <Sized>
            {(w) => (
              <DeletionCurve
                width={w}
                height={Math.round(Math.min(260, Math.max(170, w * 0.5)))}
                series={[
                  ...Object.entries(f.attention).map(([l, c]) => ({
                    label: `layer ${l} top cells`,
                    kind: 'attention' as const,
                    points: c.points,
                  })),
                  { label: `random (${f.random.seeds.length} seeds)`, kind: 'random' as const, points: meanCurve(f.random.curves) },
                ]}
                {...(f.box ? { box: f.box } : {})}
              />
            )}
          </Sized>
          <div className="muted small">
            Probability of the first answer token “{f.token.text}” ({pct(f.token.prob, 1)} on the original) after filling the removed cells
            with the image’s mean colour. Area = mean probability under the curve; lower = the cells mattered more.
          </div>
          <dl className="kv" data-testid="deletion-areas">
            {Object.entries(f.attention).map(([l, c]) => (
              <div key={l} className="kv-row">
                <dt>area, layer {l}</dt>
                <dd>
                  {c.area.toFixed(3)} (random {f.random.meanArea.toFixed(3)}){c.points.some((p) => p.changed) ? ' · answer changed' : ''}
                </dd>
              </div>
            ))}
            {f.box ? (
              <div className="kv-row">
                <dt>key box removed</dt>
                <dd>
                  drop {f.box.drop.toFixed(3)} · answer {f.box.changed ? `changed to ${answerText(f.box.answer)}` : 'unchanged'}
                </dd>
              </div>
            ) : null}
          </dl>
        </section>
      ) : null}
    </>
  );
}
