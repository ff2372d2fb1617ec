// Left column of Inspect: image, benchmark item, question, model, run.
import { useEffect, useRef } from 'react';
import { AnalysisToggles } from '../../components/AnalysisToggles.js';
import type { Box } from '../../../../electron/contract/types.js';
import { useBenches, useEngineActions, useEngineStatus, useModels, useProvider } from '../../stores/engine.js';
import type { PreprocessProtocol, ProviderChoice } from '../../../../electron/contract/types.js';
import { PathOpener } from '../../components/PathOpener.js';
import { useBenchActions, useBenchItems } from '../../stores/bench.js';
import { useInspectActions, useInspectStore } from '../../stores/inspect.js';
import { ModelSelect, pickModel } from '../../components/ModelSelect.js';
import { Field } from '../../components/common.js';
import { BoxEditor } from '../../box/BoxEditor.js';
import { BenchSelect } from '../../components/BenchSelect.js';

export function InspectInputs({ onBoxDraft }: { onBoxDraft: (note: string | null, forBox: Box | null) => void }) {
  const a = useInspectActions();
  const image = useInspectStore((s) => s.image);
  const question = useInspectStore((s) => s.question);
  const modelId = useInspectStore((s) => s.modelId);
  const box = useInspectStore((s) => s.box);
  const running = useInspectStore((s) => s.running);
  const stage = useInspectStore((s) => s.stage);
  const maxNew = useInspectStore((s) => s.maxNewTokens);
  const analyses = useInspectStore((s) => s.analyses);
  const protocol = useInspectStore((s) => s.protocol);
  const maxPixels = useInspectStore((s) => s.maxPixels);
  const benchItem = useInspectStore((s) => s.benchItem);
  const models = useModels();
  const status = useEngineStatus();
  const engine = useEngineActions();
  const provider = useProvider();
  const fileRef = useRef<HTMLInputElement>(null);

  // Default to the R2I student: it is the model whose attention the app is about.
  useEffect(() => {
    if (!modelId && models.length) {
      const id = pickModel(models, 'loupe-tiny-r2i');
      if (id) a.setModel(id);
    }
  }, [models, modelId, a]);

  // A model package may name the protocol it expects (loupe.json preprocessing.protocol): follow it.
  useEffect(() => {
    const pre = models.find((m) => m.id === modelId)?.manifest?.['preprocessing'] as { protocol?: unknown } | undefined;
    if (pre?.protocol === 'paper' || pre?.protocol === 'hf') void a.setProtocol(pre.protocol);
  }, [models, modelId, a]);

  const canRun = !!image && !!modelId && question.trim().length > 0 && status === 'ready';
  const why = !image
    ? 'Open an image or pick a benchmark item first.'
    : !question.trim()
      ? 'Type a question.'
      : !modelId
        ? 'Choose a model.'
        : '';
  return (
    <aside className="panel left" aria-label="Inputs">
      <section>
        <h2>Image</h2>
        <div className="row">
          <button onClick={() => fileRef.current?.click()}>Open image…</button>
          <input
            ref={fileRef}
            type="file"
            accept="image/*"
            hidden
            data-testid="image-file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void a.openFile(f);
              e.target.value = '';
            }}
          />
        </div>
        {image ? (
          <>
            <div className="muted small" data-testid="image-name">
              {image.name} · {image.width}×{image.height} px ({protocol} protocol frame)
            </div>
            {image.warnings.map((w) => (
              <div key={w} className="warn-text small" data-testid="image-warning">
                {w}
              </div>
            ))}
          </>
        ) : (
          <div className="muted small">or drop one on the canvas</div>
        )}
        <BenchItemPicker />
      </section>
      <section>
        <Field label="Question">
          <textarea
            data-testid="question"
            rows={4}
            value={question}
            onChange={(e) => a.setQuestion(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && canRun) void a.run();
            }}
            placeholder="What colour is the small sign?"
          />
        </Field>
        {benchItem ? (
          <div className="small" data-testid="ground-truth">
            Ground truth: <strong>{benchItem.item.answer}</strong>{' '}
            <span className="muted">({benchItem.item.dimension ?? benchItem.item.questionType})</span>
          </div>
        ) : null}
        <ModelSelect value={modelId} onChange={a.setModel} testId="inspect-model" />
        <PathOpener
          label="Open a model folder…"
          placeholder="/path/to/model (ONNX package, or Hugging Face checkpoint with safetensors)"
          testId="open-model-path"
          onOpen={async (dir) => {
            const m = await engine.openModel(dir);
            if (m && m.issues.length === 0) a.setModel(m.id);
          }}
        />
        <Field label="Execution provider" hint="auto tries WebGPU, then CUDA, then CPU">
          <select value={provider} onChange={(e) => engine.setProvider(e.target.value as ProviderChoice)}>
            <option value="auto">auto</option>
            <option value="cpu">cpu</option>
            <option value="cuda">cuda</option>
            <option value="webgpu">webgpu</option>
          </select>
        </Field>
        <Field
          label="Image preparation"
          hint="paper: the paper's scripts (no EXIF rotation, alpha onto white, 2048×1024 then 2048×2048 pixel budgets); hf: transformers with the model's own processor settings"
        >
          <select data-testid="protocol" value={protocol} onChange={(e) => void a.setProtocol(e.target.value as PreprocessProtocol)}>
            <option value="paper">paper protocol</option>
            <option value="hf">hf protocol</option>
          </select>
        </Field>
        <Field
          label="Max pixels"
          hint="lower pixel budget for the resize, and the one a model's load is planned for; empty = the protocol's"
        >
          <input
            type="number"
            min={1}
            data-testid="max-pixels"
            placeholder="protocol's budget"
            value={maxPixels ?? ''}
            onChange={(e) => a.setMaxPixels(e.target.value === '' ? null : Number(e.target.value))}
          />
        </Field>
        <Field label="Max new tokens">
          <input type="number" min={1} max={256} value={maxNew} onChange={(e) => a.setMaxNewTokens(Number(e.target.value))} />
        </Field>
        <AnalysisToggles value={analyses} onChange={a.setAnalyses} />
        <div className="row">
          <button
            className="primary"
            data-testid="run"
            disabled={!canRun || running}
            onClick={() => void a.run()}
            title={why || 'Ctrl+Enter'}
          >
            {running ? 'Running…' : 'Run'}
          </button>
          {running ? <button onClick={a.cancel}>Cancel</button> : null}
        </div>
        {running ? (
          <div className="muted small" aria-live="polite" data-testid="stage">
            {stage}…
          </div>
        ) : why ? (
          <div className="muted small">{why}</div>
        ) : null}
      </section>
      {image ? (
        <section>
          <BoxEditor
            box={box}
            onChange={a.setBox}
            width={image.width}
            height={image.height}
            onDraftChange={(note) => onBoxDraft(note, box)}
          />
        </section>
      ) : null}
    </aside>
  );
}

function BenchItemPicker() {
  const benches = useBenches();
  const chosen = useInspectStore((s) => s.benchId);
  const benchItem = useInspectStore((s) => s.benchItem);
  const { pickBenchItem, setBench } = useInspectActions();
  const benchId = chosen && benches.some((b) => b.id === chosen) ? chosen : (benches[0]?.id ?? null);
  const items = useBenchItems(benchId);
  const { load } = useBenchActions();
  useEffect(() => {
    if (benchId) void load(benchId);
  }, [benchId, load]);
  if (!benches.length) return null;
  const picked = benchItem?.benchId === benchId ? benchItem.item.id : '';
  return (
    <>
      <BenchSelect value={benchId} onChange={setBench} testId="inspect-bench" />
      <Field label="Benchmark item">
        <select
          data-testid="bench-item"
          value={picked}
          onChange={(e) => {
            const it = items.find((x) => x.id === e.target.value);
            if (it && benchId) void pickBenchItem(benchId, it);
          }}
        >
          <option value="">{items.length ? `${items.length} items…` : 'loading…'}</option>
          {items.map((it) => (
            <option key={it.id} value={it.id}>
              {it.id} · {it.dimension ?? it.questionType} · {it.question.slice(0, 40)}
            </option>
          ))}
        </select>
      </Field>
    </>
  );
}
