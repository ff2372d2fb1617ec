// Terminal progress for `loupe bench`: a redrawn bar on a terminal, a plain line every 10% otherwise
// (cluster logs must stay readable). Always on stderr, so `--json` on stdout stays parseable.
import type { CliIo } from './io.js';

export interface ProgressState {
  done: number;
  total: number;
  failed: number;
  itemsPerSecond: number;
  etaSeconds: number | null;
}

function eta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

export function progressLine(p: ProgressState, width: number): string {
  const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const stats = ` ${p.done}/${p.total} ${(fraction * 100).toFixed(0).padStart(3)}% ${p.itemsPerSecond.toFixed(2)} it/s ETA ${eta(p.etaSeconds)}${p.failed ? ` failed ${p.failed}` : ''}`;
  const barWidth = Math.max(10, Math.min(40, width - stats.length - 3));
  const filled = Math.round(fraction * barWidth);
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${stats}`;
}

export class ProgressBar {
  private lastDecile = -1;
  private drawn = false;

  constructor(private readonly io: CliIo) {}

  update(p: ProgressState): void {
    if (this.io.isTTY) {
      this.io.err(`\r${progressLine(p, this.io.columns)}\x1b[K`);
      this.drawn = true;
      return;
    }
    const decile = p.total > 0 ? Math.floor((p.done / p.total) * 10) : 0;
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.io.err(`${progressLine(p, 80)}\n`);
    }
  }

  /** Ends the redrawn line so later output starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.io.err('\n');
    this.drawn = false;
  }
}
