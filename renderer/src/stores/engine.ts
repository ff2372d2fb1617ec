// Engine-wide state: connection, models, benches, the event log. Views read it through selector hooks.
import { create } from 'zustand';
import type { EngineEvent } from '../../../electron/contract/api.js';
import type { BenchInfo, LoadedModel, ModelInfo, ProviderChoice } from '../../../electron/contract/types.js';
import { getClient } from '../engine/client.js';
import { toUiError, type UiError } from '../engine/errors.js';

interface LogLine {
  at: number;
  level: 'info' | 'warn' | 'error';
  message: string;
}

interface EngineState {
  status: 'idle' | 'connecting' | 'ready' | 'error';
  error: UiError | null;
  version: string;
  models: ModelInfo[];
  benches: BenchInfo[];
  loaded: Record<string, LoadedModel>;
  provider: ProviderChoice;
  log: LogLine[];
  /** Set when the engine process restarted (crash); the banner asks to re-run. */
  restarted: string | null;
  actions: {
    connect: () => Promise<void>;
    refresh: () => Promise<void>;
    /** maxPixels: the budget the engine's memory guard plans the load for (Inspect's Max pixels). */
    ensureLoaded: (modelId: string, maxPixels?: number) => Promise<LoadedModel>;
    openModel: (dir: string) => Promise<ModelInfo | null>;
    openBench: (path: string) => Promise<BenchInfo | null>;
    setProvider: (p: ProviderChoice) => void;
    dismissRestart: () => void;
    clearError: () => void;
    logLine: (level: LogLine['level'], message: string) => void;
    clearLog: () => void;
  };
}

const MAX_LOG = 200;
let unsubscribe: (() => void) | null = null;
const loading = new Map<string, Promise<LoadedModel>>();

export const useEngineStore = create<EngineState>()((set, get) => ({
  status: 'idle',
  error: null,
  version: '',
  models: [],
  benches: [],
  loaded: {},
  provider: 'auto',
  log: [],
  restarted: null,
  actions: {
    async connect() {
      set({ status: 'connecting', error: null });
      try {
        const client = getClient();
        unsubscribe?.();
        unsubscribe = client.onEvent((ev) => handleEvent(ev));
        const info = await client.call('engine.info', {});
        set({ version: info.version });
        await get().actions.refresh();
        set({ status: 'ready' });
      } catch (e) {
        set({ status: 'error', error: toUiError(e) });
      }
    },
    async refresh() {
      const client = getClient();
      const [models, benches] = await Promise.all([client.call('models.list', {}), client.call('bench.list', {})]);
      set({ models, benches });
    },
    ensureLoaded(modelId, maxPixels) {
      const have = get().loaded[modelId];
      if (have) return Promise.resolve(have);
      const pending = loading.get(modelId);
      if (pending) return pending;
      const p = getClient()
        .call('models.load', { modelId, provider: get().provider, ...(maxPixels !== undefined ? { maxPixels } : {}) })
        .then((lm) => {
          set((s) => ({ loaded: { ...s.loaded, [modelId]: lm } }));
          return lm;
        })
        .finally(() => loading.delete(modelId));
      loading.set(modelId, p);
      return p;
    },
    async openModel(dir) {
      try {
        const info = await getClient().call('models.open', { dir });
        set((s) => ({ models: [...s.models.filter((m) => m.id !== info.id), info] }));
        return info;
      } catch (e) {
        set({ error: toUiError(e) });
        return null;
      }
    },
    async openBench(path) {
      try {
        const info = await getClient().call('bench.open', { path });
        // Re-opening a bench (its folder or its file) gives the same id: replace it in place, never list it twice.
        set((s) => ({
          benches: s.benches.some((b) => b.id === info.id) ? s.benches.map((b) => (b.id === info.id ? info : b)) : [...s.benches, info],
        }));
        return info;
      } catch (e) {
        set({ error: toUiError(e) });
        return null;
      }
    },
    setProvider(provider) {
      // A different provider only applies to models loaded from now on.
      set({ provider, loaded: {} });
    },
    dismissRestart() {
      set({ restarted: null });
    },
    clearError() {
      set({ error: null });
    },
    logLine(level, message) {
      set((s) => ({ log: [...s.log.slice(-MAX_LOG + 1), { at: Date.now(), level, message }] }));
    },
    clearLog() {
      set({ log: [] });
    },
  },
}));

function handleEvent(ev: EngineEvent): void {
  const { actions } = useEngineStore.getState();
  switch (ev.type) {
    case 'engine.log':
      actions.logLine(ev.level, ev.message);
      break;
    case 'engine.restarted':
      // Loaded sessions died with the old process.
      useEngineStore.setState({ restarted: ev.reason, loaded: {} });
      actions.logLine('warn', `Engine restarted: ${ev.reason}`);
      break;
    case 'model.loaded':
      useEngineStore.setState((s) => ({ loaded: { ...s.loaded, [ev.model.modelId]: ev.model } }));
      break;
    default:
      break;
  }
  for (const l of listeners) l(ev);
}

type Listener = (ev: EngineEvent) => void;
const listeners = new Set<Listener>();
/** Other stores (batch) subscribe to events through here so there is one engine subscription. */
export function subscribeEngineEvents(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export const useEngineActions = () => useEngineStore((s) => s.actions);
export const useEngineStatus = () => useEngineStore((s) => s.status);
export const useEngineError = () => useEngineStore((s) => s.error);
export const useModels = () => useEngineStore((s) => s.models);
export const useBenches = () => useEngineStore((s) => s.benches);
export const useLoaded = () => useEngineStore((s) => s.loaded);
export const useRestarted = () => useEngineStore((s) => s.restarted);
export const useLog = () => useEngineStore((s) => s.log);
export const useProvider = () => useEngineStore((s) => s.provider);
