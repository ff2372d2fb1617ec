// The preload side of the desktop transport (the only file that touches ipcRenderer). Exposes a narrow
// `window.loupeBridge` (see LoupeBridge): raw protocol messages, shell events, drops and save dialogs.
// The page gets no ipcRenderer and no Node: it can only send well-formed messages that main validates.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { LoupeBridge, OpenedKind, SaveDialogRequest, ShellEvent } from './shell-protocol.js';
import { IPC_REGISTER_DROP, IPC_RPC, IPC_SAVE_DIALOG, IPC_SHELL } from './shell-protocol.js';
import type { ClientMessage } from './wire-protocol.js';

function subscribe<T>(channel: string, listener: (value: T) => void): () => void {
  const wrapped = (_event: unknown, value: T): void => listener(value);
  ipcRenderer.on(channel, wrapped);
  return () => void ipcRenderer.removeListener(channel, wrapped);
}

export function exposeBridge(): void {
  const bridge: LoupeBridge = {
    send: (message: ClientMessage) => ipcRenderer.send(IPC_RPC, message),
    onMessage: (listener) => subscribe<unknown>(IPC_RPC, listener),
    onShell: (listener) => subscribe<ShellEvent>(IPC_SHELL, listener),
    registerDrop: async (file: File) => {
      // Only a real dropped/picked File has a path; the page never sees or invents one itself.
      const path = webUtils.getPathForFile(file);
      if (!path) return null;
      return (await ipcRenderer.invoke(IPC_REGISTER_DROP, path)) as { path: string; kind: OpenedKind } | null;
    },
    saveDialog: async (request: SaveDialogRequest) => (await ipcRenderer.invoke(IPC_SAVE_DIALOG, request)) as string | null,
  };
  contextBridge.exposeInMainWorld('loupeBridge', bridge);
}
