// The cluster examples in docs/examples are shown in docs/cli.md and run by the cluster test
// (test/cluster). This keeps the page and the files one text, the scripts valid bash, and the
// Kubernetes manifests' shard count in step between the Indexed Job and its merge.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './fixtures.js';

const EXAMPLES = join(ROOT, 'docs/examples');
const files = readdirSync(EXAMPLES).sort();
const read = (f: string): string => readFileSync(join(EXAMPLES, f), 'utf8');

describe('docs/examples', () => {
  it('holds the Slurm and Kubernetes examples', () => {
    expect(files).toEqual(
      expect.arrayContaining(['zoombench-array.sbatch', 'zoombench-submit.sh', 'zoombench-indexed-job.yaml', 'zoombench-merge-job.yaml']),
    );
  });

  it.each(files)('%s is shown in docs/cli.md exactly as committed', (f) => {
    const page = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
    expect(page).toContain(`\n${read(f).trimEnd()}\n\`\`\``);
  });

  it.each(files.filter((f) => /\.(sh|sbatch)$/.test(f)))('%s is valid bash', (f) => {
    expect(() => execFileSync('bash', ['-n', join(EXAMPLES, f)])).not.toThrow();
  });

  it('the Indexed Job runs shard JOB_COMPLETION_INDEX/completions, and the merge expects that many', () => {
    const job = read('zoombench-indexed-job.yaml');
    const merge = read('zoombench-merge-job.yaml');
    const completions = /^\s+completions: (\d+)$/m.exec(job)?.[1];
    expect(completions).toBeDefined();
    expect(job).toMatch(/^\s+completionMode: Indexed$/m);
    expect(job).toContain(`--shard "$JOB_COMPLETION_INDEX/${completions}"`);
    expect(merge).toContain(`*-shard*of${completions}`);
    expect(merge).toContain(`Merges the ${completions} shards`);
  });
});
