// The `loupe` CLI: dispatches subcommands and turns every failure into a message a researcher can act
// on plus a documented exit code (docs/cli.md). `runCli` is pure over its context so tests run it
// in-process (commands that need no model, like merge, raise LoupeErrors directly); `main` wires the real process (stdout/stderr, Ctrl-C, a worker-thread engine).
import { isLoupeError } from '../engine/errors.js';
import { EngineCallError } from '../transport/rpc-client.js';
import { runBench, benchUsage } from './commands/bench.js';
import { runCompare, compareUsage } from './commands/compare.js';
import { runDoctor, doctorUsage } from './commands/doctor.js';
import { runExport, exportUsage } from './commands/export.js';
import { runInspect, inspectUsage } from './commands/inspect.js';
import { runMerge, mergeUsage } from './commands/merge.js';
import { runServe, serveUsage } from './commands/serve.js';
import { runStart } from './commands/start.js';
import { runTapCommand } from './commands/tap.js';
import { openThreadEngine } from './engine-session.js';
import { CliError, EXIT, exitCodeFor } from './exit-codes.js';
import { processIo, type CliContext } from './io.js';

interface CommandDef {
  run: (argv: string[], ctx: CliContext) => Promise<number>;
  usage: string;
  summary: string;
}

const COMMANDS: Record<string, CommandDef> = {
  inspect: { run: runInspect, usage: inspectUsage, summary: 'one image + question: answer, box metrics, PNG heatmap' },
  bench: { run: runBench, usage: benchUsage, summary: 'batch run over a benchmark (resumable, shardable)' },
  compare: { run: runCompare, usage: compareUsage, summary: 'paired comparison of two runs (e.g. base vs R2I)' },
  merge: { run: runMerge, usage: mergeUsage, summary: 'merge shard runs into one' },
  export: { run: runExport, usage: exportUsage, summary: 'export a run as CSV, JSON or attention grids' },
  doctor: { run: runDoctor, usage: doctorUsage, summary: 'which ONNX providers and PyTorch devices can run here, and how to fix the rest' },
  serve: { run: runServe, usage: serveUsage, summary: 'the app in your browser (127.0.0.1, token-protected)' },
  tap: {
    run: runTapCommand,
    usage: 'loupe tap --help  (see the tap command itself)\n',
    summary: 'add attention-tap outputs to an ONNX decoder',
  },
  start: {
    run: (argv, ctx) => runStart(argv, ctx),
    usage: 'loupe start [serve options]\n\n  Desktop window if Electron is installed, else the web mode.\n',
    summary: 'desktop window, or web mode without Electron',
  },
};

export function topUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `loupe: see where a vision-language model looks\n\nUsage: loupe <command> [options]   (loupe <command> --help for details)\n\n${rows.join('\n')}\n\nExit codes: 0 ok, 1 internal, 2 usage, 3 not found, 4 invalid model, 5 invalid input,\n            6 finished with failed items, 7 engine unavailable,\n            8 run busy (another process writes it), 130 interrupted (resume by rerunning).\n`;
}

function report(err: unknown): { code: number; message: string; detail?: Record<string, string> } {
  if (err instanceof CliError) return { code: err.exitCode, message: err.message };
  if (err instanceof EngineCallError || isLoupeError(err)) {
    const detail: Record<string, string> = { engineCode: err.code };
    if (err.file) detail.file = err.file;
    if (err.field) detail.field = err.field;
    const code = exitCodeFor(err.code);
    const where = err.file ? ` (${err.file}${err.field ? `, ${err.field}` : ''})` : '';
    return { code, message: `${err.message}${where}`, detail };
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { code: EXIT.internal, message: `Unexpected error (please report it): ${message}` };
}

export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.io.out(topUsage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    ctx.io.err(`loupe: unknown command "${name}".\n\n${topUsage()}`);
    return EXIT.usage;
  }
  if (name !== 'tap' && (rest.includes('--help') || rest.includes('-h'))) {
    ctx.io.out(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, ctx);
  } catch (err) {
    const r = report(err);
    if (rest.includes('--json')) ctx.io.out(`${JSON.stringify({ error: { exitCode: r.code, message: r.message, ...r.detail } })}\n`);
    ctx.io.err(`loupe ${name}: ${r.message}\n`);
    return r.code;
  }
}

/** Entry for bin/loupe.js: the real process. */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts += 1;
    // A second Ctrl-C means "now": finished items are already on disk (append-only store).
    if (interrupts > 1) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await runCli(argv, { io: processIo(), openEngine: openThreadEngine, signal: controller.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
