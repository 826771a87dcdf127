import { resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { loadConfig, ConfigError } from '../lambdas/config.js';
import { startLocalRuntime } from './runtime.js';
import { runDemo } from './demo/run-demo.js';
import { ensureExampleRepository } from './demo/demo.js';

// The SDK versions are pinned and known to run on Node 20; its notice about future releases needing
// Node 22 would otherwise open every `npm start`. The engines field and LOCAL-STACK.md track it.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const localConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().default('127.0.0.1'),
  DSF_DATA_DIR: z.string().default('.dsf'),
  DSF_IN_MEMORY: z.enum(['0', '1']).default('0'),
  /** `0` skips the bundled demo feature on a fresh data directory. */
  DSF_DEMO: z.enum(['0', '1']).default('1'),
});

/** `npm start`: the local runtime, until SIGINT or SIGTERM. */
async function main(): Promise<void> {
  const logger = new Logger({ serviceName: 'dsf-local' });
  let config: z.infer<typeof localConfigSchema>;
  try {
    config = loadConfig(localConfigSchema, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const dataDir = resolve(config.DSF_DATA_DIR);
  // Signals are handled from the start: a SIGTERM during start-up waits for it, then stops cleanly.
  let stopping = false;
  const starting = startLocalRuntime({
    dataDir,
    inMemory: config.DSF_IN_MEMORY === '1',
    port: config.PORT,
    host: config.HOST,
    logger,
  });
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    starting
      .then((started) => started.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error('shutdown failed', { error: error as Error });
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  const runtime = await starting;
  logger.info('DSF is running', { url: runtime.url, dashboard: `${runtime.url}/`, dataDir, try: `curl ${runtime.url}/features` });
  // The bundled example repository is there from the first start (the default repository of requests).
  await ensureExampleRepository(runtime.gitHost);
  // On a fresh data directory the factory shows what it does with the bundled example feature.
  if (config.DSF_DEMO === '1' && (await runtime.store.listFeatures({ limit: 1 })).items.length === 0) {
    process.stdout.write(`\nDashboard: ${runtime.url}/  (the demo's progress is there too)\n`);
    // The runtime's INFO lines would tear through the live task table; warnings and errors still show.
    const level = logger.getLevelName();
    logger.setLogLevel('WARN');
    try {
      const outcome = await runDemo(runtime, { modelId: runtime.modelId });
      process.stdout.write(`\n${outcome.ok ? 'The demo feature is merged.' : 'The demo did not finish cleanly (see above).'}\n`);
    } catch (error) {
      // Stopping mid-demo ends its requests; anything else is worth a line, but the factory keeps serving.
      if (stopping) return;
      logger.error('the demo failed', { error: error as Error });
    } finally {
      logger.setLogLevel(level);
    }
  }
  process.stdout.write(`DSF keeps serving the API, the webhook route and the dashboard at ${runtime.url}/ — Ctrl-C stops it.\n`);
}

main().catch((error: unknown) => {
  console.error(`dsf: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
