import path from 'node:path';
import { bundleHandler } from './bundling.js';

/**
 * `tsx lib/bundle-handler.ts <entry.ts> <outdir>`: bundles one handler with the
 * shared settings (lib/bundling.ts). The CDK base function runs it for every
 * zip function (CDK local bundling is synchronous, and the esbuild plugin needs
 * the async API); the agent worker's Dockerfile runs it in the image build.
 */
const [entry, outdir, ...rest] = process.argv.slice(2);
if (!entry || !outdir || rest.length > 0) {
  console.error('usage: tsx lib/bundle-handler.ts <entry.ts> <outdir>');
  process.exit(2);
}
const bundle = await bundleHandler(path.resolve(entry), path.resolve(outdir));
const kb = (bytes: number) => Math.round(bytes / 1024);
console.log(
  `${path.relative(process.cwd(), bundle.file)}: ${kb(bundle.initBytes)} KB loaded at init, ${kb(bundle.totalBytes)} KB of JavaScript in all, ${kb(bundle.sourceMapBytes)} KB of source maps`,
);
