/**
 * Bundle benchmark (`npm run bench:bundle`): bundles every Node.js handler with
 * the settings the stack deploys (lib/bundling.ts), then measures each bundle's
 * size and its cold module initialisation: the median time of several fresh
 * `node` processes to import it, with the NODE_OPTIONS the functions run with
 * and a fake configuration, so config parsing and client construction run as
 * they do in Lambda (no request is made at import).
 *
 *   npm run bench:bundle                  # 7 runs per handler
 *   npm run bench:bundle -- --runs 11
 *
 * Sizes (KiB, of the files bundleHandler writes, which are the function's asset):
 * `init` is the JavaScript Node loads when it imports the handler (the entry and
 * the chunks it imports statically); `total` is all JavaScript in the asset,
 * adding the chunks loaded only through `await import()`; `maps` is the source
 * maps, also in the asset but read only to map stack traces. The last line:
 *   bundle: max_api_kb=<n> max_total_kb=<n> max_worker_kb=<n> max_init_ms=<n>
 * max_api_kb and max_total_kb are the largest init and total of the API and
 * webhook functions, max_worker_kb the agent worker's init size, max_init_ms the
 * largest median init time of all handlers.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { featureRoutes } from '../lambdas/http/routes/feature-routes.js';
import { stepFunctions } from '../lambdas/orchestration/step-functions.js';
import { METRIC_NAMESPACE } from '../lambdas/ports/metrics.js';
import { webhookEntry } from '../lib/api.js';
import { bundleHandler, bundleOptionsFor, handlerEntryPath, handlerNodeOptions, workerEntry, type HandlerBundle } from '../lib/bundling.js';
import { serviceNames } from '../lib/service-names.js';

type Group = 'api' | 'orchestration' | 'worker';

const handlers: { entry: string; group: Group; service: string }[] = [
  ...featureRoutes.map((route) => ({ entry: route.entry, group: 'api' as const, service: serviceNames.api })),
  { entry: webhookEntry, group: 'api', service: serviceNames.webhook },
  ...stepFunctions.map((step) => ({ entry: step.entry, group: 'orchestration' as const, service: serviceNames.orchestrator })),
  { entry: workerEntry, group: 'worker', service: serviceNames.agentWorker },
];

/** Enough configuration for every handler's config schema (lambdas/config.ts) to parse; nothing is called. */
const fakeEnvironment = {
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'dsf-bench-table',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:dsf-bench-feature',
  DSF_WEBHOOK_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:dsf/bench/github-webhook-secret',
  DSF_AGENT_CONCURRENCY: '{"code":4,"test":2,"review":2,"conflict":1}',
  DSF_GITHUB_APP_PRIVATE_KEY_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:dsf/bench/github-app-private-key',
  POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
  NODE_OPTIONS: handlerNodeOptions,
};

/** Runs in each fresh process: the time to import (evaluate) the bundle, nothing else. */
const importProbe = [
  'const started = performance.now();',
  'await import(process.env.BENCH_MODULE_URL);',
  'process.stdout.write(JSON.stringify({ ms: performance.now() - started }));',
].join('\n');

interface Measurement {
  readonly entry: string;
  readonly group: Group;
  readonly bundle: HandlerBundle;
  readonly initMs?: number;
  readonly failure?: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 5) throw new Error('--runs must be an integer of at least 5');

  const workdir = await mkdtemp(path.join(tmpdir(), 'dsf-bench-bundle-'));
  try {
    const measurements: Measurement[] = [];
    for (const handler of handlers) {
      // Bundled as deployed: the worker without the gates' tools it ships beside the bundle, Plan with the event streams of its model client.
      const bundle = await bundleHandler(handlerEntryPath(handler.entry), path.join(workdir, handler.entry), bundleOptionsFor(handler.entry));
      const outcome = await medianInitMs(bundle.file, handler.service, runs);
      measurements.push({ ...handler, bundle, ...outcome });
    }
    report(measurements, runs);
    if (measurements.some((measurement) => measurement.failure)) process.exitCode = 1;
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
}

async function medianInitMs(file: string, service: string, runs: number): Promise<{ initMs: number } | { failure: string }> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const result = await importOnce(file, service);
    if ('failure' in result) return result;
    times.push(result.ms);
  }
  times.sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  return { initMs: times.length % 2 === 1 ? times[middle]! : (times[middle - 1]! + times[middle]!) / 2 };
}

function importOnce(file: string, service: string): Promise<{ ms: number } | { failure: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', importProbe], {
      // A clean environment: only what Lambda would set, so the local shell cannot change the result.
      env: { PATH: process.env['PATH'] ?? '', ...fakeEnvironment, POWERTOOLS_SERVICE_NAME: service, BENCH_MODULE_URL: pathToFileURL(file).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) {
        const parsed: unknown = JSON.parse(stdout);
        if (parsed && typeof parsed === 'object' && 'ms' in parsed && typeof parsed.ms === 'number') return resolve({ ms: parsed.ms });
      }
      resolve({ failure: firstError(stderr) ?? `exit code ${code}` });
    });
  });
}

/** The thrown error's line, past Node's own warnings (the AWS SDK warns about Node 20). */
function firstError(stderr: string): string | undefined {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .find((line) => /^[A-Za-z]*Error\b|^Error:/.test(line));
}

function report(measurements: readonly Measurement[], runs: number): void {
  const kb = (bytes: number) => Math.round(bytes / 1024);
  const rows = measurements.map((measurement) => [
    measurement.entry,
    measurement.group,
    String(kb(measurement.bundle.initBytes)),
    String(kb(measurement.bundle.totalBytes)),
    String(kb(measurement.bundle.sourceMapBytes)),
    measurement.initMs === undefined ? 'FAILED' : measurement.initMs.toFixed(1),
  ]);
  // Init times move with the machine's load; the context line makes a slow run recognisable as one.
  console.log(`# node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((load) => load.toFixed(2)).join(' ')}`);
  const header = ['handler', 'group', 'init KB', 'total KB', 'maps KB', `init ms (median of ${runs})`];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  for (const failed of measurements.filter((measurement) => measurement.failure)) console.log(`FAILED to initialise ${failed.entry}: ${failed.failure}`);

  const maxKb = (group: Group, size: 'initBytes' | 'totalBytes') =>
    Math.max(...measurements.filter((measurement) => measurement.group === group).map((measurement) => kb(measurement.bundle[size])));
  const initTimes = measurements.flatMap((measurement) => (measurement.initMs === undefined ? [] : [measurement.initMs]));
  console.log(
    `bundle: max_api_kb=${maxKb('api', 'initBytes')} max_total_kb=${maxKb('api', 'totalBytes')} max_worker_kb=${maxKb('worker', 'initBytes')} max_init_ms=${Math.round(Math.max(...initTimes))}`,
  );
}

await main();
