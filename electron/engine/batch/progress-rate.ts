// Throughput and ETA over a moving window of recent completions. A rate over the whole run reacts to a
// slowdown (a model reloaded, a shared machine busy) only after many items and keeps promising the old
// pace; the last WINDOW_SECONDS (at least MIN_SAMPLES completions) follow the current one.

export const WINDOW_SECONDS = 30;
export const MIN_SAMPLES = 5;

export class ProgressRate {
  /** Completion times in ms, oldest first, with how many units each completed. */
  private readonly marks: { at: number; units: number }[] = [];

  constructor(
    private readonly windowMs = WINDOW_SECONDS * 1000,
    private readonly minSamples = MIN_SAMPLES,
  ) {}

  /** `units` work units finished at time `at` (ms). */
  add(at: number, units = 1): void {
    this.marks.push({ at, units });
    // Keep the window, but never fewer than minSamples + 1 marks (a slow run needs them for any rate).
    while (this.marks.length > this.minSamples + 1 && at - this.marks[1].at >= this.windowMs) this.marks.shift();
  }

  /** Units per second between the oldest kept mark and `now`; 0 before two marks. */
  perSecond(now: number): number {
    if (this.marks.length < 2) return 0;
    const first = this.marks[0];
    // Units after the first mark: the first mark only starts the clock.
    let units = 0;
    for (let i = 1; i < this.marks.length; i++) units += this.marks[i].units;
    // Time since the last completion counts too: a stalled run's rate falls while it waits.
    const seconds = (Math.max(now, this.marks[this.marks.length - 1].at) - first.at) / 1000;
    return seconds > 0 ? units / seconds : 0;
  }

  /** Seconds until `remaining` units are done at the current rate; null while no rate is known. */
  eta(remaining: number, now: number): number | null {
    if (remaining <= 0) return 0;
    const r = this.perSecond(now);
    return r > 0 ? remaining / r : null;
  }
}
