import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { startLocalRuntime } from '../runtime.js';
import { runDemo } from './run-demo.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/**
 * `npm run demo`: the whole factory on a throwaway data directory, the bundled
 * feature from request to merged PR, then exit 0 only if the PR is merged with
 * every gate green, every task in the merge and the example's tests passing.
 */
async function main(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dsf-demo-'));
  // The runtime's own logs would drown the progress view; warnings and errors still show.
  const logger = new Logger({ serviceName: 'dsf-demo', logLevel: (process.env['DSF_LOG_LEVEL'] ?? 'WARN') as 'WARN' });
  const runtime = await startLocalRuntime({ dataDir, inMemory: true, port: 0, logger, autoMerge: true, resume: false });
  try {
    const outcome = await runDemo(runtime, { modelId: runtime.modelId });
    process.stdout.write(outcome.ok ? '\nDemo passed.\n' : '\nDemo FAILED.\n');
    return outcome.ok ? 0 : 1;
  } finally {
    await runtime.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`dsf demo: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
