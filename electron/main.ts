// Electron main process: one window, locked down (context isolation, sandbox, no Node in the page, CSP
// header, no navigation, no new windows, no permissions), native menus and dialogs, remembered window
// state and recent files. The engine runs in a utility process behind the path guard; when it crashes
// it is restarted and the page gets `engine.restarted`. Everything else lives in the renderer, which is
// the same bundle the web mode serves.
import { app, BrowserWindow, dialog, Menu, net, protocol, session, type WebContents } from 'electron';
import { existsSync, statSync } from 'node:fs';
import { join, relative, isAbsolute, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GuardedEngine } from './server/path-guard.js';
import { PathRegistry } from './server/path-registry.js';
import { contentSecurityPolicy } from './server/csp.js';
import { classifyPath } from './shell/classify.js';
import { buildMenu } from './shell/menu.js';
import { ShellStateStore } from './shell/state-store.js';
import { registerIpc, sendShell } from './transport/ipc-main.js';
import type { OpenedKind, RecentEntry, ShellEvent } from './transport/shell-protocol.js';
import { SupervisedEngine } from './worker/supervisor.js';
import { utilityChannelFactory } from './worker/utility-channel.js';

const SCHEME = 'app';
const HOST = 'loupe';
const here = fileURLToPath(new URL('.', import.meta.url)); // dist/electron/
const rendererDir = join(here, '..', 'renderer');

// Must run before `ready`: a standard, secure scheme gets a real origin, so the CSP's 'self' and the
// sender checks have something exact to compare against (file:// pages all share one opaque origin).
protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) app.quit();

const registry = new PathRegistry();
let state: ShellStateStore;
let engine: SupervisedEngine;
let window: BrowserWindow | null = null;

function isTrustedUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${SCHEME}:` && u.host === HOST;
  } catch {
    return false;
  }
}

/** Serves dist/renderer on app://loupe/ with the CSP header; nothing outside that folder. */
function registerRendererProtocol(): void {
  protocol.handle(SCHEME, async (request) => {
    const url = new URL(request.url);
    const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = join(rendererDir, rel);
    const inside = relative(rendererDir, file);
    if (url.host !== HOST || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside) || !existsSync(file)) {
      return new Response('Not found', { status: 404 });
    }
    const response = await net.fetch(pathToFileURL(file).href);
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', contentSecurityPolicy());
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}

function send(event: ShellEvent): void {
  if (window) sendShell(window.webContents, event);
}

/** A folder (model, bench folder) is allowed as a whole; a file on its own. */
function allow(path: string): void {
  if (statSync(path).isDirectory()) registry.allowDir(path);
  else registry.allowFile(path);
}

/** Registers a path the user chose and tells the page; recent files remember it. */
function opened(kind: OpenedKind, path: string): void {
  allow(path);
  const recent = state.addRecent(kind, path);
  refreshMenu(recent);
  send(
    kind === 'image' ? { type: 'open-image', path } : kind === 'model' ? { type: 'open-model', dir: path } : { type: 'open-bench', path },
  );
  send({ type: 'recent', entries: recent });
}

async function choose(kind: OpenedKind): Promise<void> {
  if (!window) return;
  const options: Electron.OpenDialogOptions =
    kind === 'image'
      ? {
          title: 'Open Image',
          properties: ['openFile'],
          filters: [{ name: 'Images', extensions: ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'bmp', 'avif'] }],
        }
      : kind === 'model'
        ? { title: 'Open Model Folder (transformers.js Qwen-VL ONNX layout)', properties: ['openDirectory'] }
        : {
            title: 'Open Benchmark (ZoomBench parquet/JSON, Loupe JSONL, or its folder)',
            properties: ['openFile', 'openDirectory'],
            filters: [{ name: 'Benchmarks', extensions: ['parquet', 'json', 'jsonl'] }],
          };
  const result = await dialog.showOpenDialog(window, options);
  const path = result.filePaths[0];
  if (!result.canceled && path) opened(kind, path);
}

function refreshMenu(recent: RecentEntry[]): void {
  Menu.setApplicationMenu(
    buildMenu(
      {
        openImage: () => void choose('image'),
        openModel: () => void choose('model'),
        openBench: () => void choose('bench'),
        openRecent: (entry) =>
          existsSync(entry.path) ? opened(entry.kind, entry.path) : void dialog.showErrorBox('Loupe', `${entry.path} no longer exists.`),
        clearRecent: () => (state.clearRecent(), refreshMenu([])),
        exportView: () => send({ type: 'export' }),
      },
      recent,
      app.getName(),
    ),
  );
}

function createWindow(): BrowserWindow {
  const saved = state.window;
  const win = new BrowserWindow({
    ...(saved.x !== undefined && saved.y !== undefined ? { x: saved.x, y: saved.y } : {}),
    width: saved.width,
    height: saved.height,
    minWidth: 960,
    minHeight: 600,
    title: 'Loupe',
    show: false,
    webPreferences: {
      preload: join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (saved.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  const remember = (): void => {
    if (win.isDestroyed() || win.isMinimized()) return;
    state.setWindow({ ...win.getNormalBounds(), maximized: win.isMaximized() });
  };
  win.on('close', remember);
  void win.loadURL(`${SCHEME}://${HOST}/index.html`);
  return win;
}

/** No navigation away from the app, no popups, no permissions (camera, geolocation, ...). */
function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault(); // also stops a dropped file from replacing the app
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

async function main(): Promise<void> {
  await app.whenReady();
  state = new ShellStateStore(join(app.getPath('userData'), 'loupe-state.json'));
  // Files from earlier sessions were opened by the user: keep them openable from Open Recent.
  for (const e of state.recent) if (existsSync(e.path)) allow(e.path);

  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  app.on('web-contents-created', (_e, contents) => lockDown(contents));
  registerRendererProtocol();

  engine = new SupervisedEngine({
    channel: utilityChannelFactory(join(here, 'engine-entry.js')),
    hostOptions: app.isPackaged ? { resourcesDir: join(process.resourcesPath, 'resources') } : {},
  });
  engine.onEvent((e) => {
    if (e.type === 'engine.restarted') console.error(`Loupe: the engine restarted (${e.reason})`);
  });
  registerIpc({
    engine: new GuardedEngine(engine, registry),
    isTrustedUrl,
    registerDrop: (path) => {
      const kind = classifyPath(path);
      if (kind) opened(kind, path);
      return kind;
    },
    saveDialog: async (contents, request) => {
      const owner = BrowserWindow.fromWebContents(contents);
      const options: Electron.SaveDialogOptions = {
        defaultPath: request.defaultName,
        ...(request.title ? { title: request.title } : {}),
        ...(request.filters ? { filters: request.filters } : {}),
      };
      const result = owner ? await dialog.showSaveDialog(owner, options) : await dialog.showSaveDialog(options);
      if (result.canceled || !result.filePath) return null;
      registry.allowFile(result.filePath);
      return result.filePath;
    },
    log: (message) => console.error(`Loupe: ${message}`),
  });

  refreshMenu(state.recent);
  window = createWindow();
  window.on('closed', () => (window = null));
  app.on('second-instance', () => window?.focus());
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => void engine.dispose());
}

void main().catch((err: unknown) => {
  dialog.showErrorBox('Loupe could not start', err instanceof Error ? (err.stack ?? err.message) : String(err));
  app.exit(1);
});
