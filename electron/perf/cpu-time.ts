// CPU time of a process (user + system, from /proc/PID/stat) and the machine's load: on a shared machine
// wall time alone says little, so the full-size benches record both beside it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

let ticks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux this runs on when getconf is missing). */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** User + system CPU seconds used so far by `pid` (its own threads; 0 when it is gone or not Linux). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ")": utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return 0;
  }
}

/** One-minute load average now. */
export function load1(): number {
  return Number((loadavg()[0] ?? 0).toFixed(2));
}
