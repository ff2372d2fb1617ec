// Exports and checkpoint comparison belong to the batch module (electron/engine/batch); this adapter
// binds them to the host's runs folder. Until they exist it fails with a clear message.
import type { CompareSummary } from '../../contract/types.js';
import { LoupeError } from '../errors.js';

export async function exportRunInDir(runsDir: string, runId: string, format: 'csv' | 'json' | 'grids', dest?: string): Promise<{ path?: string; text?: string }> {
  void runsDir, void runId, void format, void dest;
  throw new LoupeError('internal', 'Run exports are not available in this build yet.');
}

export async function compareRunsInDir(runsDir: string, runA: string, runB: string, layer?: number): Promise<CompareSummary> {
  void runsDir, void runA, void runB, void layer;
  throw new LoupeError('internal', 'Run comparison is not available in this build yet.');
}
