import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    coverage: {
      provider: 'v8',
      include: ['lambdas/**/*.ts', 'local/**/*.ts'],
      exclude: ['lambdas/*/handler.ts'],
      reporter: ['text-summary', 'json-summary', 'html'],
      thresholds: { lines: 80, branches: 70, functions: 80 },
    },
  },
});
