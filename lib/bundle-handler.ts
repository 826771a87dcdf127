import path from 'node:path';
import { bundleHandler, bundleOptionsFor, workerEntry } from './bundling.js';

/**
 * `tsx lib/bundle-handler.ts <entry.ts> <outdir> [--worker]`: bundles one handler with the
 * shared settings (lib/bundling.ts). The CDK base function runs it for every
 * zip function (CDK local bundling is synchronous, and the esbuild plugin needs
 * the async API); the agent worker's Dockerfile runs it in the image build with
 * `--worker`, which leaves the gates' tools (workerRuntimePackages) to the
 * node_modules installed beside the bundle and keeps the SDK's event-stream support.
 * Otherwise the entry's folder picks the options (bundleOptionsFor).
 */
const [entry, outdir, ...rest] = process.argv.slice(2);
const worker = rest.length === 1 && rest[0] === '--worker';
if (!entry || !outdir || (rest.length > 0 && !worker)) {
  console.error('usage: tsx lib/bundle-handler.ts <entry.ts> <outdir> [--worker]');
  process.exit(2);
}
const bundle = await bundleHandler(path.resolve(entry), path.resolve(outdir), bundleOptionsFor(worker ? workerEntry : path.basename(path.dirname(path.resolve(entry)))));
const kb = (bytes: number) => Math.round(bytes / 1024);
console.log(
  `${path.relative(process.cwd(), bundle.file)}: ${kb(bundle.initBytes)} KB loaded at init, ${kb(bundle.totalBytes)} KB of JavaScript in all, ${kb(bundle.sourceMapBytes)} KB of source maps`,
);
