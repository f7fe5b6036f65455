import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/setup.ts'],
    // op results that kernels write in full start as NaN, not zero, so an element a kernel misses
    // fails a comparison (see allocateOutput); the command's subprocesses inherit it
    env: { CONVLENS_POISON_OUTPUTS: '1' },
  },
});
