import { describe, expect, it } from 'vitest';
import { buildAwsApiDeps, buildAwsOrchestrationDeps, buildAwsWebhookDeps, buildAwsWorkerDeps } from '../../lambdas/aws-deps.js';
import { ConfigError } from '../../lambdas/config.js';

/** The environment the CDK stack gives the functions (names only; no AWS call happens at build time). */
const env = {
  AWS_REGION: 'eu-west-1',
  TABLE_NAME: 'dsf-dev',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111111111111:stateMachine:dsf-feature',
  DSF_WEBHOOK_SECRET_ID: 'dsf/dev/github-webhook-secret',
  DSF_AGENT_CONCURRENCY: '{"code":8,"test":4}',
};

describe('cold-start dependencies on AWS', () => {
  it('build for every kind of function from the stack environment', () => {
    expect(buildAwsApiDeps(env).defaults).toEqual({ repo: 'demo', baseBranch: 'main' });
    expect(buildAwsOrchestrationDeps(env).scheduling).toEqual({ policy: 'priority', capacity: { code: 8, test: 4, review: 2, conflict: 1 } });
    expect(buildAwsWorkerDeps(env).attemptTimeoutMs).toBe(13 * 60_000);
    expect(buildAwsWebhookDeps(env).triggerLabel).toBe('dsf');
  });

  it('fail at once, naming what is missing', () => {
    expect(() => buildAwsApiDeps({ AWS_REGION: 'eu-west-1' })).toThrow(ConfigError);
    expect(() => buildAwsWebhookDeps({ ...env, DSF_WEBHOOK_SECRET_ID: undefined })).toThrow(/DSF_WEBHOOK_SECRET_ID/);
  });
});
