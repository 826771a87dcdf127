import { describe, expect, it } from 'vitest';
import { IssueCommentNotifier } from '../../lambdas/adapters/issue-comment-notifier.js';
import { MemoryFeatureStore } from '../../lambdas/adapters/memory/memory-feature-store.js';
import { defaultAgentCapacity } from '../../lambdas/core/scheduling.js';
import type { Feature } from '../../lambdas/core/feature.js';
import { notifySafely, type FeatureNotifier, type IssueCommenter } from '../../lambdas/ports/feature-notifier.js';
import type { AppLogger } from '../../lambdas/ports/logger.js';
import { parseCommand } from '../../lambdas/use-cases/github-webhook.js';
import { gateStep, planStep, recordFailure, type OrchestrationDeps } from '../../lambdas/use-cases/orchestration.js';
import { ManualClock, ids, sampleFeature } from '../support/fixtures.js';
import { RecordingWorkflow } from '../support/recording-workflow.js';

class RecordingCommenter implements IssueCommenter {
  readonly comments: { repo: string; issueNumber: number; body: string }[] = [];
  async commentOnIssue(repo: string, issueNumber: number, body: string): Promise<void> {
    this.comments.push({ repo, issueNumber, body });
  }
}

function recordingLogger() {
  const warnings: { message: string; extra: Record<string, unknown>[] }[] = [];
  const logger: AppLogger = { debug: () => {}, info: () => {}, error: () => {}, warn: (message, ...extra) => void warnings.push({ message, extra }) };
  return { logger, warnings };
}

const fromIssue = (feature: Feature): Feature => ({ ...feature, source: { kind: 'github_issue', repo: 'octo/app', issueNumber: 7 } });

describe('parseCommand', () => {
  it.each([
    ['/dsf build', 'build'],
    ['/DSF Status', 'status'],
    ['  /dsf cancel now please', 'cancel'],
    ['Thanks!\r\n/dsf retry\n/dsf cancel', 'retry'],
    ['/dsf\tbuild', 'build'],
  ])('reads %j as %s', (body, command) => {
    expect(parseCommand(body)).toBe(command);
  });

  it.each(['please /dsf build', '/dsf', '/dsf builder', '/dsf deploy', '> /dsf build', '`/dsf build`', '/dsfbuild'])('ignores %j', (body) => {
    expect(parseCommand(body)).toBeUndefined();
  });
});

describe('IssueCommentNotifier', () => {
  const clock = new ManualClock();

  it('comments on the issue a feature came from, and nowhere for a feature without one', async () => {
    const commenter = new RecordingCommenter();
    const notifier = new IssueCommentNotifier(commenter);
    const { feature } = sampleFeature(clock);

    await notifier.featureFailed(feature, 'gate failed');
    await notifier.featureFailed(fromIssue(feature), 'gate failed');

    expect(commenter.comments).toEqual([
      { repo: 'octo/app', issueNumber: 7, body: `DSF could not finish \`${feature.id}\`: gate failed\n\nComment \`/dsf retry\` to start it again.` },
    ]);
  });

  it('quotes reasons on one line and without mentions, so they neither command nor ping', async () => {
    const commenter = new RecordingCommenter();
    const feature = fromIssue(sampleFeature(clock).feature);

    await new IssueCommentNotifier(commenter).featureNeedsHuman(feature, 'ask @octocat\n/dsf cancel');

    const body = commenter.comments[0]!.body;
    expect(parseCommand(body)).toBeUndefined();
    expect(body).not.toMatch(/@octocat/);
    expect(body).toContain('ask @\u200boctocat /dsf cancel');
  });

  it('links the pull request', async () => {
    const commenter = new RecordingCommenter();
    const feature = fromIssue(sampleFeature(clock).feature);
    const now = clock.now().toISOString();

    await new IssueCommentNotifier(commenter).pullRequestOpened(feature, {
      repo: 'octo/app', number: 12, status: 'open', head: `dsf/${feature.id}`, base: 'main', title: 't', body: '', comments: [],
      url: 'https://github.com/octo/app/pull/12', createdAt: now, updatedAt: now,
    });

    expect(commenter.comments[0]!.body).toBe(`DSF opened a pull request for \`${feature.id}\`: https://github.com/octo/app/pull/12`);
  });
});

describe('notifySafely', () => {
  it('logs a failed notification instead of throwing', async () => {
    const { logger, warnings } = recordingLogger();

    await notifySafely({ featureFailed: async () => { throw new Error('GitHub is down'); } } as unknown as FeatureNotifier, logger, { id: 'feat_1' }, (n) =>
      n.featureFailed({} as Feature, 'x'),
    );

    expect(warnings).toEqual([{ message: 'feature notification failed', extra: [{ featureId: 'feat_1', error: 'GitHub is down' }] }]);
  });
});

describe('orchestration notifies the issue', () => {
  async function setUp(notifier: FeatureNotifier) {
    const clock = new ManualClock();
    const store = new MemoryFeatureStore({ clock, ids });
    const { logger, warnings } = recordingLogger();
    const deps: OrchestrationDeps = { store, workflow: new RecordingWorkflow(), logger, scheduling: { policy: 'priority', capacity: defaultAgentCapacity }, notifier };
    const { feature } = sampleFeature(clock, { tasks: undefined });
    await store.createFeature({ feature: fromIssue(feature), tasks: [] });
    return { deps, store, featureId: feature.id, warnings };
  }

  it('sends the plan once, and a gate failure with its reason', async () => {
    const commenter = new RecordingCommenter();
    const { deps, featureId } = await setUp(new IssueCommentNotifier(commenter));

    const taskIds = (await planStep(deps, featureId)).tasks.map((item) => item.taskId);
    await planStep(deps, featureId);
    await gateStep(deps, { featureId, outcomes: [{ taskId: taskIds[0]!, outcome: 'failed' }] });

    expect(commenter.comments).toHaveLength(2);
    expect(commenter.comments[0]!.body).toContain(`as ${taskIds.length} tasks:`);
    expect(commenter.comments[1]!.body).toContain(`tasks did not succeed: ${taskIds[0]} (failed)`);
  });

  it('reports a recorded failure, and a failing commenter never fails the step', async () => {
    const { deps, store, featureId, warnings } = await setUp(
      new IssueCommentNotifier({ commentOnIssue: async () => Promise.reject(new Error('issue locked')) }),
    );

    await planStep(deps, featureId);
    await recordFailure(deps, { featureId, error: { Error: 'States.Timeout' } });

    expect(await store.getFeature(featureId)).toMatchObject({ status: 'failed', statusReason: 'States.Timeout' });
    expect(warnings.filter((w) => w.message === 'feature notification failed')).toHaveLength(2);
  });
});
