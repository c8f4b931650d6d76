import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/sampleModels.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time: most integration files wait on R or on a poll, so two share the
    // 2 cores well (745 s -> 565 s of vitest on one CI machine). Each file has its own Azurite,
    // ports and model cache, and tests that look at R processes match their own app's only
    // (test/helpers/processes.ts workerPattern).
    fileParallelism: true,
    maxWorkers: 2,
  },
});
