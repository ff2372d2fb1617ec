// Stage reporting shared by one analysis and the dual view.
export type Stage = 'preprocess' | 'vision' | 'prefill' | 'decode' | 'metrics';

export interface AnalysisHooks {
  signal?: AbortSignal;
  /** Called when a stage starts (the host turns it into an `analysis.stage` event). */
  onStage?: (stage: Stage, detail?: string) => void;
}

export function now(): number {
  return performance.now();
}
