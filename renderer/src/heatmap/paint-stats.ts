// Keeps the last paint durations so the UI bench (and the curious, via the console) can read them
// without instrumenting React.
const recent: number[] = [];

export function notePaint(ms: number): void {
  recent.push(ms);
  if (recent.length > 500) recent.shift();
  (window as unknown as { __loupePaints?: number[] }).__loupePaints = recent;
}
