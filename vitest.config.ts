import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    // Pinned SDK versions run on Node 20; silence the notice about future ones (see local/main.ts).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
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
