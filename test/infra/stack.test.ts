import { beforeAll } from 'vitest';
import { describeApi } from './suites/api.js';
import { describeBaseFunction } from './suites/functions.js';
import { describeObservability } from './suites/observability.js';
import { describeOrchestrator } from './suites/orchestrator.js';
import { describeQueuesAndAgents } from './suites/queues-agents.js';
import { describeSecrets } from './suites/secrets.js';
import { describeStorage } from './suites/storage.js';
import { synthesize, type Synthesized } from './synth-fixture.js';

/**
 * The stack's targeted assertions, one suite per construct (test/infra/suites/),
 * all reading one synthesis: the first synthesis of a process costs seconds,
 * later ones (the suites' own variants) a fraction of that. The context sets
 * values away from their defaults, so the assertions see them come through.
 */
export const sharedContext = {
  agentConcurrency: '{"code":6,"conflict":1}',
  githubAppId: '4242',
  githubInstallationId: '777',
  githubOwner: 'octo',
  roleModels: '{"review":"bedrock:anthropic.claude-3-5-haiku-20241022-v1:0"}',
  budgetTask: '{"usd":5}',
  budgetFeature: '{"usd":40,"steps":400}',
  modelPrices: '{"my-model":{"input":1,"output":2}}',
  apiRateLimit: '15',
  apiBurstLimit: '30',
  alarmEmail: 'ops@example.com',
};

let synthesized: Synthesized | undefined;
beforeAll(() => {
  synthesized = synthesize(sharedContext);
});
const shared = (): Synthesized => {
  if (!synthesized) throw new Error('the shared synthesis runs in beforeAll');
  return synthesized;
};

describeStorage(shared);
describeQueuesAndAgents(shared);
describeSecrets(shared);
describeOrchestrator(shared);
describeApi(shared);
describeBaseFunction(shared);
describeObservability(shared);
