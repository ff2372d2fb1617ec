// What the desktop shell and the renderer say to each other besides engine calls: menu actions,
// dropped files, save dialogs. Browser-safe types plus the IPC channel names (one place).
import type { ClientMessage } from './wire-protocol.js';

export const IPC_RPC = 'loupe:rpc';
export const IPC_SHELL = 'loupe:shell';
export const IPC_REGISTER_DROP = 'loupe:register-drop';
export const IPC_SAVE_DIALOG = 'loupe:save-dialog';

export type OpenedKind = 'image' | 'model' | 'bench';

export interface RecentEntry {
  kind: OpenedKind;
  path: string;
  openedAt: string;
}

/** Main -> renderer. Paths in these events are already registered: the renderer may pass them to the engine. */
export type ShellEvent =
  | { type: 'open-image'; path: string }
  | { type: 'open-model'; dir: string }
  | { type: 'open-bench'; path: string }
  /** File > Export: the renderer exports what its current view shows (it may ask for a save path). */
  | { type: 'export' }
  | { type: 'recent'; entries: RecentEntry[] };

export interface SaveDialogRequest {
  title?: string;
  defaultName: string;
  filters?: { name: string; extensions: string[] }[];
}

/**
 * What the preload exposes as `window.loupeBridge`. AbortSignals cannot cross Electron's context
 * bridge, so the bridge carries raw protocol messages and the EngineClient (with cancellation) is built
 * in the page by `createBridgeClient` (bridge-client.ts).
 */
export interface LoupeBridge {
  send(message: ClientMessage): void;
  onMessage(listener: (message: unknown) => void): () => void;
  onShell(listener: (event: ShellEvent) => void): () => void;
  /** For a dropped File: registers its path with the shell and says what it is (null: not something Loupe opens). */
  registerDrop(file: File): Promise<{ path: string; kind: OpenedKind } | null>;
  /** A native save dialog; the chosen path is registered for writing. Null when cancelled. */
  saveDialog(request: SaveDialogRequest): Promise<string | null>;
}
