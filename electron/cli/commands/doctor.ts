// `loupe doctor`: which ONNX execution providers and PyTorch devices can run here; for each one that
// cannot, why and what to do (engine/torch/doctor.ts). Exit 0 when at least one device of each engine runs.
import { doctorReport } from '../../engine/torch/doctor.js';
import { flag, parseCommand } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { CliContext } from '../io.js';
import { printJson } from './common.js';

export const doctorUsage = `loupe doctor [--json]

  Lists the ONNX execution providers (onnxruntime-node) and PyTorch devices (the project's venv) that
  can run on this machine, and for each one that cannot, why and how to fix it.
`;

export async function runDoctor(argv: string[], ctx: CliContext): Promise<number> {
  const p = parseCommand('doctor', argv, {});
  const report = doctorReport();
  if (flag(p, 'json')) {
    printJson(ctx.io, report);
    return EXIT.ok;
  }
  const lines = [
    `onnxruntime-node ${report.onnxruntime ?? 'not installed'}; NVIDIA driver ${report.nvidiaDriver ?? 'none loaded'}`,
    `python ${report.python.python} (${report.python.source}); torch ${report.torch?.torch ?? 'unavailable'}, transformers ${report.torch?.transformers ?? 'unavailable'}`,
    '',
  ];
  for (const r of report.rows) {
    const name = `${r.engine === 'onnx' ? 'ONNX' : 'PyTorch'} ${r.device}`.padEnd(14);
    lines.push(`${r.usable ? 'ok ' : 'no '} ${name} ${r.usable ? (r.detail ?? '') : `${r.reason ?? ''}`}`);
    if (!r.usable && r.detail) lines.push(`    ${r.detail}`);
    if (!r.usable && r.fix) lines.push(`    fix: ${r.fix}`);
  }
  ctx.io.out(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
