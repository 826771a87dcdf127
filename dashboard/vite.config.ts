import { defineConfig } from 'vite';

/**
 * `npm run build:dashboard` (`vite build dashboard`): static files in dashboard/dist that the
 * local server serves at `/` and that deploy as-is to any static host. Preact's JSX runtime is
 * set here so no framework plugin is needed.
 */
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 250,
  },
});
