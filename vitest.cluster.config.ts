// Cluster tests (`npm run test:cluster`): a real Slurm on this host runs sharded batch runs as a job
// array (test/cluster). Separate from the unit tests because it installs and starts system daemons
// as root; one file at a time, and generous timeouts for apt-get and the jobs themselves.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/cluster/**/*.cluster.ts'],
    testTimeout: 600_000,
    hookTimeout: 480_000,
    fileParallelism: false,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default'],
  },
});
