import { describe, expect, it } from 'vitest';
import { GitHubAppHost } from '../../lambdas/adapters/github/github-app-host.js';
import { IssueCommentNotifier } from '../../lambdas/adapters/issue-comment-notifier.js';
import { buildAwsApiDeps, buildAwsOrchestrationDeps, buildAwsWebhookDeps } from '../../lambdas/aws-deps.js';
import { buildAwsWorkerDeps } from '../../lambdas/aws-worker-deps.js';
import { ConfigError } from '../../lambdas/config.js';
import { sampleFeature, ManualClock } from '../support/fixtures.js';

/** The environment the CDK stack gives the functions (names only; no AWS call happens at build time). */
const env = {
  AWS_REGION: 'eu-west-1',
  TABLE_NAME: 'dsf-dev',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111111111111:stateMachine:dsf-feature',
  DSF_WEBHOOK_SECRET_ID: 'dsf/dev/github-webhook-secret',
  DSF_AGENT_CONCURRENCY: '{"code":8,"test":4}',
};

/** What the stack adds with -c githubAppId=… -c githubInstallationId=… -c githubOwner=…. */
const gitHubEnv = {
  ...env,
  DSF_GITHUB_APP_ID: '4242',
  DSF_GITHUB_INSTALLATION_ID: '777',
  DSF_GITHUB_OWNER: 'octo',
  DSF_GITHUB_APP_PRIVATE_KEY_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:dsf/dev/github-app-private-key',
};

const { tasks } = sampleFeature(new ManualClock());
const codeTask = { ...tasks[0]!, agentType: 'code' as const, sleep: undefined };
const reviewTask = { ...codeTask, agentType: 'review' as const };
const sleepTask = { ...codeTask, sleep: { seconds: 1, outcome: 'succeed' as const } };

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

  it('without a GitHub App: no pull requests, no issue comments, and only sleep tasks in the worker', () => {
    const orchestration = buildAwsOrchestrationDeps(env);
    const webhook = buildAwsWebhookDeps(env);
    const worker = buildAwsWorkerDeps(env);

    expect(orchestration.pullRequests).toBeUndefined();
    expect(orchestration.notifier).toBeUndefined();
    expect(webhook.gitHost).toBeUndefined();
    expect(webhook.issues).toBeUndefined();
    expect(() => worker.selectAgent(codeTask)).toThrow(/no code agent is installed yet/);
    expect(worker.selectAgent(sleepTask)).toBeDefined();
  });

  it('with a GitHub App: pull requests left for people to merge, comments on the issue, real agents', () => {
    const orchestration = buildAwsOrchestrationDeps(gitHubEnv);
    const webhook = buildAwsWebhookDeps(gitHubEnv);
    const worker = buildAwsWorkerDeps(gitHubEnv);

    expect(orchestration.pullRequests?.autoMerge).toBe(false);
    expect(orchestration.pullRequests?.host).toBeInstanceOf(GitHubAppHost);
    expect(orchestration.notifier).toBeInstanceOf(IssueCommentNotifier);
    expect(webhook.gitHost).toBeInstanceOf(GitHubAppHost);
    expect(webhook.issues).toBe(webhook.gitHost);
    expect(webhook.notifier).toBeInstanceOf(IssueCommentNotifier);
    const [code, review, sleep] = [worker.selectAgent(codeTask), worker.selectAgent(reviewTask), worker.selectAgent(sleepTask)];
    expect(new Set([code, review, sleep]).size).toBe(3);
  });

  it('refuse a half-configured GitHub App, listing everything missing', () => {
    const partial = { ...env, DSF_GITHUB_APP_ID: '4242' };

    expect(() => buildAwsOrchestrationDeps(partial)).toThrow(
      expect.objectContaining({
        problems: [
          'DSF_GITHUB_INSTALLATION_ID: is required when DSF_GITHUB_APP_ID is set',
          'DSF_GITHUB_OWNER: is required when DSF_GITHUB_APP_ID is set',
          'DSF_GITHUB_APP_PRIVATE_KEY_SECRET_ID: is required when DSF_GITHUB_APP_ID is set',
        ],
      }),
    );
  });

  it('check every model variable when the worker starts, without echoing values', () => {
    const bad = { ...gitHubEnv, DSF_MODEL: 'sk-ant-pasted-key-by-mistake', DSF_MODEL_PRICES: 'not json' };

    const error: unknown = (() => {
      try {
        buildAwsWorkerDeps(bad);
        return undefined;
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toMatch(/DSF_MODEL: /);
    expect((error as ConfigError).problems.length).toBeGreaterThanOrEqual(2);
    expect((error as ConfigError).message).not.toContain('sk-ant-pasted');
  });
});
