// The native application menu. Actions are callbacks into main.ts, so this file only describes the menu.
import { Menu, type MenuItemConstructorOptions } from 'electron';
import type { RecentEntry } from '../transport/shell-protocol.js';

export interface MenuActions {
  openImage(): void;
  openModel(): void;
  openBench(): void;
  openRecent(entry: RecentEntry): void;
  clearRecent(): void;
  exportView(): void;
}

const isMac = process.platform === 'darwin';

export function buildMenu(actions: MenuActions, recent: RecentEntry[], appName: string): Menu {
  const recentItems: MenuItemConstructorOptions[] = recent.length
    ? [
        ...recent.map((entry) => ({ label: `${entry.path}  (${entry.kind})`, click: () => actions.openRecent(entry) })),
        { type: 'separator' as const },
        { label: 'Clear Recent', click: () => actions.clearRecent() },
      ]
    : [{ label: 'No recent files', enabled: false }];
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ label: appName, role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Image…', accelerator: 'CmdOrCtrl+O', click: () => actions.openImage() },
        { label: 'Open Model Folder…', accelerator: 'CmdOrCtrl+Shift+M', click: () => actions.openModel() },
        { label: 'Open Benchmark…', accelerator: 'CmdOrCtrl+Shift+B', click: () => actions.openBench() },
        { label: 'Open Recent', submenu: recentItems },
        { type: 'separator' },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => actions.exportView() },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}
