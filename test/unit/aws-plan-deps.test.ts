import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAwsOrchestrationDeps } from '../../lambdas/aws-deps.js';
import { buildAwsPlanDeps } from '../../lambdas/aws-plan-deps.js';
import { ConfigError } from '../../lambdas/config.js';
import { planFeature } from '../../lambdas/core/planner.js';
import { ManualClock, sampleFeature } from '../support/fixtures.js';

/** The environment the CDK stack gives the Plan function (names only; no AWS call happens at build time). */
const env = {
  AWS_REGION: 'eu-west-1',
  TABLE_NAME: 'dsf-dev',
  DSF_AGENT_CONCURRENCY: '{"code":8,"test":4}',
};

const sessions = resolve('test/fixtures/sessions');
const { feature } = sampleFeature(new ManualClock(), { tasks: undefined });

function errorOf(build: () => unknown): unknown {
  try {
    build();
    return undefined;
  } catch (caught) {
    return caught;
  }
}

describe('the Plan function’s cold-start dependencies on AWS', () => {
  it('are the orchestration dependencies plus a planner, which the other state machine functions do not get', () => {
    const deps = buildAwsPlanDeps(env);

    expect(deps.planner).toBeTypeOf('function');
    expect(deps.scheduling).toEqual(buildAwsOrchestrationDeps(env).scheduling);
    expect(buildAwsOrchestrationDeps(env).planner).toBeUndefined();
  });

  it('plan with the planner model of DSF_MODEL_PLANNER', async () => {
    const { planner } = buildAwsPlanDeps({ ...env, DSF_MODEL: `scripted:${sessions}`, DSF_MODEL_PLANNER: `scripted:${sessions}/planner-valid.jsonl` });

    const planned = await planner!(feature);

    expect(planned.note).toMatch(/^planned by scripted:.*planner-valid\.jsonl \(\d+ tasks\)$/);
  });

  it('fall back to the heuristic plan, saying why, when no planner model can be used', async () => {
    const { planner } = buildAwsPlanDeps({ ...env, DSF_MODEL: 'scripted:examples/demo/sessions' });

    const planned = await planner!(feature);

    expect(planned.tasks).toEqual(planFeature(feature));
    expect(planned.note).toMatch(/^heuristic plan: no planner model/);
  });

  it('check every model variable at cold start, naming each bad one without echoing values', () => {
    const bad = { ...env, DSF_MODEL_PLANNER: 'sk-ant-pasted-key-by-mistake', DSF_MODEL_PRICES: 'not json' };

    const error = errorOf(() => buildAwsPlanDeps(bad));

    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^DSF_MODEL_PLANNER: /m);
    expect(problems).toMatch(/^DSF_MODEL_PRICES/m);
    expect((error as ConfigError).message).not.toContain('sk-ant-pasted');
  });
});
