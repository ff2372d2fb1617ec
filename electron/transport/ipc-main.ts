// The main-process side of the desktop transport (the only file that touches ipcMain). Every handler
// first checks that the message comes from the app's own page in the main frame of a window: a
// navigated, injected or embedded frame gets nothing. Engine messages are then served by the same
// RpcServer as the web mode (one AbortController per request, events forwarded).
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { EngineHandler } from '../contract/api.js';
import { createRpcServer, type RpcServer } from './rpc-server.js';
import type { OpenedKind, SaveDialogRequest, ShellEvent } from './shell-protocol.js';
import { IPC_REGISTER_DROP, IPC_RPC, IPC_SAVE_DIALOG, IPC_SHELL } from './shell-protocol.js';

export interface IpcMainOptions {
  /** The engine as the page may use it (wrapped in the path guard). */
  engine: EngineHandler;
  /** True only for the app's own page URL. */
  isTrustedUrl(url: string): boolean;
  /** Registers a dropped path and says what it is; null refuses it. */
  registerDrop(path: string): OpenedKind | null;
  saveDialog(contents: WebContents, request: SaveDialogRequest): Promise<string | null>;
  log(message: string): void;
}

function trusted(event: IpcMainEvent | IpcMainInvokeEvent, options: IpcMainOptions): boolean {
  const frame = event.senderFrame;
  const ok = frame !== null && frame === event.sender.mainFrame && options.isTrustedUrl(frame.url);
  if (!ok) options.log(`refused IPC from ${frame?.url ?? 'a destroyed frame'}`);
  return ok;
}

export function registerIpc(options: IpcMainOptions): () => void {
  const servers = new Map<number, RpcServer>();

  const serverFor = (contents: WebContents): RpcServer => {
    let server = servers.get(contents.id);
    if (server) return server;
    server = createRpcServer(options.engine, {
      send: (message) => {
        if (!contents.isDestroyed()) contents.send(IPC_RPC, message);
      },
      onProtocolError: (reason) => options.log(`bad message from the page: ${reason}`),
    });
    servers.set(contents.id, server);
    // A reload or a closed window abandons the page's calls: abort them in the engine.
    // (In-page navigations, e.g. hash routes, keep the page and its calls.)
    const onNavigate = (_e: unknown, _url: string, isInPlace: boolean, isMainFrame: boolean): void => {
      if (isMainFrame && !isInPlace) drop();
    };
    const drop = (): void => {
      servers.get(contents.id)?.close();
      servers.delete(contents.id);
      if (!contents.isDestroyed()) contents.off('did-start-navigation', onNavigate);
    };
    contents.once('destroyed', drop);
    contents.on('did-start-navigation', onNavigate);
    return server;
  };

  const onRpc = (event: IpcMainEvent, message: unknown): void => {
    if (trusted(event, options)) serverFor(event.sender).receive(message);
  };
  ipcMain.on(IPC_RPC, onRpc);
  ipcMain.handle(IPC_REGISTER_DROP, (event, path: unknown) => {
    if (!trusted(event, options) || typeof path !== 'string') return null;
    const kind = options.registerDrop(path);
    return kind ? { path, kind } : null;
  });
  ipcMain.handle(IPC_SAVE_DIALOG, async (event, request: unknown) => {
    if (!trusted(event, options) || typeof request !== 'object' || request === null) return null;
    const r = request as Partial<SaveDialogRequest>;
    const clean: SaveDialogRequest = {
      defaultName: typeof r.defaultName === 'string' ? r.defaultName : 'loupe-export',
      ...(typeof r.title === 'string' ? { title: r.title } : {}),
    };
    if (Array.isArray(r.filters)) clean.filters = r.filters;
    return options.saveDialog(event.sender, clean);
  });

  return () => {
    ipcMain.off(IPC_RPC, onRpc);
    ipcMain.removeHandler(IPC_REGISTER_DROP);
    ipcMain.removeHandler(IPC_SAVE_DIALOG);
    for (const s of servers.values()) s.close();
    servers.clear();
  };
}

export function sendShell(contents: WebContents, event: ShellEvent): void {
  if (!contents.isDestroyed()) contents.send(IPC_SHELL, event);
}
