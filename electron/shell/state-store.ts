// Remembered window bounds and recent files, one JSON file in app.getPath('userData'). Plain Node so it
// is tested without Electron. A damaged file is set aside rather than crashing the app at start.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OpenedKind, RecentEntry } from '../transport/shell-protocol.js';

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface ShellStateData {
  version: 1;
  window: WindowState;
  recent: RecentEntry[];
}

const DEFAULT_WINDOW: WindowState = { width: 1280, height: 800, maximized: false };
const MAX_RECENT = 12;
const KINDS: readonly OpenedKind[] = ['image', 'model', 'bench'];

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : undefined;
}

/** Keeps only well-formed fields: the file may come from an older or newer version. */
export function sanitize(raw: unknown): ShellStateData {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const w = (typeof r.window === 'object' && r.window !== null ? r.window : {}) as Record<string, unknown>;
  const window: WindowState = {
    width: Math.max(640, num(w.width) ?? DEFAULT_WINDOW.width),
    height: Math.max(480, num(w.height) ?? DEFAULT_WINDOW.height),
    maximized: w.maximized === true,
  };
  const x = num(w.x);
  const y = num(w.y);
  if (x !== undefined && y !== undefined) Object.assign(window, { x, y });
  const recent = (Array.isArray(r.recent) ? r.recent : [])
    .filter((e): e is RecentEntry => {
      const o = e as Partial<RecentEntry> | null;
      return !!o && typeof o.path === 'string' && KINDS.includes(o.kind as OpenedKind) && typeof o.openedAt === 'string';
    })
    .slice(0, MAX_RECENT);
  return { version: 1, window, recent };
}

export class ShellStateStore {
  private data: ShellStateData;

  constructor(private readonly file: string) {
    this.data = this.load();
  }

  private load(): ShellStateData {
    if (!existsSync(this.file)) return sanitize({});
    try {
      return sanitize(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch {
      try {
        renameSync(this.file, `${this.file}.broken`);
      } catch {
        // read-only profile: start fresh in memory
      }
      return sanitize({});
    }
  }

  get window(): WindowState {
    return { ...this.data.window };
  }

  get recent(): RecentEntry[] {
    return [...this.data.recent];
  }

  setWindow(state: WindowState): void {
    this.data.window = sanitize({ window: state }).window;
    this.save();
  }

  /** Moves `path` to the front (one entry per path), keeps the newest MAX_RECENT. */
  addRecent(kind: OpenedKind, path: string, now = new Date()): RecentEntry[] {
    const entry: RecentEntry = { kind, path, openedAt: now.toISOString() };
    this.data.recent = [entry, ...this.data.recent.filter((e) => e.path !== path)].slice(0, MAX_RECENT);
    this.save();
    return this.recent;
  }

  clearRecent(): void {
    this.data.recent = [];
    this.save();
  }

  private save(): void {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      // Write then rename: a crash mid-write never leaves a truncated file.
      writeFileSync(`${this.file}.tmp`, JSON.stringify(this.data, null, 2));
      renameSync(`${this.file}.tmp`, this.file);
    } catch {
      // Remembering state is a convenience; never fail the app over it.
    }
  }
}
