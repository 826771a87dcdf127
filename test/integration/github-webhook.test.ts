import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { Webhooks } from '@octokit/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbFeatureStore } from '../../lambdas/adapters/dynamodb/dynamodb-feature-store.js';
import { systemClock } from '../../lambdas/ports/clock.js';
import type { AppMetrics } from '../../lambdas/ports/metrics.js';
import { createGithubWebhookHandler, isValidWebhookSignature } from '../../lambdas/http/routes/webhook-route.js';
import { createApiGatewayServer } from '../../local/api-gateway-server.js';
import { ids, silentLogger } from '../support/fixtures.js';
import { freshTable } from '../support/dynamodb.js';
import { RecordingWorkflow } from '../support/recording-workflow.js';
import { LocalGitHost } from '../../lambdas/adapters/local-git/local-git-host.js';
import { MemoryPullRequestStore } from '../../lambdas/adapters/memory/memory-pull-request-store.js';
import { IssueCommentNotifier } from '../../lambdas/adapters/issue-comment-notifier.js';
import type { IssueCommenter } from '../../lambdas/ports/feature-notifier.js';
import type { Feature, FeatureStatus } from '../../lambdas/core/feature.js';
import { defaultAgentCapacity } from '../../lambdas/core/scheduling.js';
import { planStep } from '../../lambdas/use-cases/orchestration.js';
import { commitToBranch, makeSourceRepo, removeTempDirs, tempDir } from '../support/local-git.js';

type Example = { name: string; examples: Record<string, unknown>[] };
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json') as Example[];
const example = (event: string, action?: string) =>
  structuredClone(examples.find((e) => e.name === event)!.examples.find((x) => action === undefined || x['action'] === action)!);

const SECRET = 'test-webhook-secret';
let url: string;
let server: Server;
let store: DynamoDbFeatureStore;
let destroy: () => void;
const workflow = new RecordingWorkflow();
const counted: string[] = [];
const metrics: AppMetrics = { add: (name) => void counted.push(name), flush: () => undefined };

/** Stands in for GitHub's issue comments endpoint: what DSF said, on which issue. */
class RecordingCommenter implements IssueCommenter {
  readonly comments: { repo: string; issueNumber: number; body: string }[] = [];
  async commentOnIssue(repo: string, issueNumber: number, body: string): Promise<void> {
    this.comments.push({ repo, issueNumber, body });
  }
  on(issueNumber: number, repo = 'Codertocat/Hello-World'): string[] {
    return this.comments.filter((c) => c.repo === repo && c.issueNumber === issueNumber).map((c) => c.body);
  }
}
const commenter = new RecordingCommenter();
const notifier = new IssueCommentNotifier(commenter);
let gitHost: LocalGitHost;

async function serve(secret: string | undefined) {
  const srv = createApiGatewayServer([
    {
      routeKey: 'POST /webhooks/github',
      handler: createGithubWebhookHandler({
        logger: silentLogger(),
        metrics,
        clock: systemClock,
        ids,
        store,
        workflow,
        defaults: { repo: 'demo', baseBranch: 'main' },
        idempotencyTtlSeconds: 3600,
        triggerLabel: 'dsf',
        deliveryTtlSeconds: 3600,
        webhookSecret: async () => secret,
        issues: commenter,
        notifier,
        gitHost,
      }),
    },
  ]);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  return { srv, url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  const { client, tableName } = await freshTable('webhook');
  destroy = () => client.destroy();
  store = new DynamoDbFeatureStore({ client, tableName, clock: systemClock, ids });
  gitHost = new LocalGitHost({ dataDir: await tempDir(), pullRequests: new MemoryPullRequestStore({ clock: systemClock, ids }) });
  ({ srv: server, url } = await serve(SECRET));
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  destroy();
  await removeTempDirs();
});

let deliveries = 0;
function deliver(event: string, payload: unknown, options: { signature?: string | null; delivery?: string; to?: string } = {}) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = options.signature === undefined ? `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` : options.signature;
  return fetch(`${options.to ?? url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': options.delivery ?? `delivery-${Date.now()}-${deliveries++}`,
      ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
    },
    body,
  });
}

function labeled(labelName: string, issueNumber: number) {
  const payload = example('issues', 'labeled') as { label: { name: string }; issue: { number: number; title: string } };
  payload.label.name = labelName;
  payload.issue.number = issueNumber;
  return payload;
}

async function featuresOf(repo: string) {
  return (await store.listFeatures({ limit: 100 })).items.filter((f) => f.repo === repo);
}

describe('the webhook signature check', () => {
  it("agrees with @octokit/webhooks' verify on GitHub's own scheme", async () => {
    const webhooks = new Webhooks({ secret: SECRET });
    const body = JSON.stringify(example('ping'));
    const signature = await webhooks.sign(body);
    const forged = `sha256=${createHmac('sha256', 'other').update(body).digest('hex')}`;

    for (const candidate of [signature, forged, signature.slice(0, -1), signature.replace('sha256=', 'sha1='), '']) {
      const theirs = await webhooks.verify(body, candidate).catch(() => false);
      expect({ candidate, valid: isValidWebhookSignature(SECRET, Buffer.from(body), candidate) }).toEqual({ candidate, valid: theirs });
    }
    expect(isValidWebhookSignature(SECRET, Buffer.from(body), signature)).toBe(true);
  });
});

describe('POST /webhooks/github', () => {
  it('answers ping', async () => {
    const response = await deliver('ping', example('ping'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, event: 'ping' });
  });

  it.each([
    ['missing', null, /missing/],
    ['wrong', `sha256=${'0'.repeat(64)}`, /does not match/],
    ['signed with another secret', `sha256=${createHmac('sha256', 'other').update('{}').digest('hex')}`, /does not match/],
  ])('refuses a %s signature with 401 problem+json and counts it', async (_name, signature, detail) => {
    const before = counted.filter((m) => m === 'WebhookSignatureFailures').length;

    const response = await deliver('issues', labeled('dsf', 9001), { signature });

    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(((await response.json()) as { detail: string }).detail).toMatch(detail);
    expect(counted.filter((m) => m === 'WebhookSignatureFailures').length).toBe(before + 1);
    expect((await store.listFeatures({ limit: 100 })).items.some((f) => f.title === 'Spelling error in the README file' && f.description.includes('9001'))).toBe(false);
  });

  it('turns an issue labelled dsf into a feature, and a redelivery into nothing', async () => {
    const payload = labeled('dsf', 101);
    const delivery = `d-${Date.now()}`;

    const first = await deliver('issues', payload, { delivery });
    const again = await deliver('issues', payload, { delivery });

    expect(first.status).toBe(202);
    const outcome = (await first.json()) as { kind: string; featureId: string; created: boolean };
    expect(outcome).toMatchObject({ kind: 'feature', created: true });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true, deliveryId: delivery });
    const feature = await store.getFeature(outcome.featureId);
    expect(feature).toMatchObject({ title: 'Spelling error in the README file', repo: 'Codertocat/Hello-World', baseBranch: 'master', status: 'queued' });
    expect(feature?.description).toContain('https://github.com/Codertocat/Hello-World/issues/1');
    expect(workflow.started.filter((s) => s.name === `feature-${outcome.featureId}`)).toHaveLength(1);
  });

  it('does not start a second feature for a second delivery about the same issue', async () => {
    const first = (await (await deliver('issues', labeled('dsf', 202))).json()) as { featureId: string };
    const edited = labeled('dsf', 202) as { issue: { title: string } };
    edited.issue.title = 'Edited title';

    const second = await deliver('issues', labeled('dsf', 202));
    const third = await deliver('issues', edited);

    expect(await second.json()).toMatchObject({ kind: 'feature', featureId: first.featureId, created: false });
    expect(await third.json()).toMatchObject({ kind: 'ignored' });
    expect((await featuresOf('Codertocat/Hello-World')).filter((f) => f.id === first.featureId)).toHaveLength(1);
  });

  it('ignores other labels, other actions and unknown events with 202', async () => {
    const before = (await featuresOf('Codertocat/Hello-World')).length;

    const otherLabel = await deliver('issues', labeled('bug', 303));
    const opened = await deliver('issues', example('issues', 'opened'));
    const star = await deliver('star', { action: 'created' });

    for (const response of [otherLabel, opened, star]) {
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ kind: 'ignored' });
    }
    expect((await featuresOf('Codertocat/Hello-World')).length).toBe(before);
  });

  it('refuses an oversized body with 413', async () => {
    const response = await deliver('issues', `{"pad":"${'x'.repeat(11 * 1024 * 1024)}"}`);
    expect(response.status).toBe(413);
  });

  it('answers 503 when no webhook secret is configured', async () => {
    const unconfigured = await serve(undefined);
    try {
      const response = await deliver('ping', example('ping'), { to: unconfigured.url });
      expect(response.status).toBe(503);
    } finally {
      unconfigured.srv.closeAllConnections();
      unconfigured.srv.close();
    }
  });
});

function commentPayload(body: string, issueNumber: number, association = 'COLLABORATOR') {
  const payload = example('issue_comment', 'created') as {
    comment: { body: string; author_association: string; user: { type: string } };
    issue: { number: number };
  };
  payload.comment.body = body;
  payload.comment.author_association = association;
  payload.issue.number = issueNumber;
  return payload;
}

type Outcome = { kind: string; command?: string; result?: string; featureId?: string; reason?: string; features?: { featureId: string; result: string }[] };

async function accepted(response: Response): Promise<Outcome> {
  expect(response.status).toBe(202);
  return (await response.json()) as Outcome;
}

const command = async (body: string, issueNumber: number, association?: string) =>
  accepted(await deliver('issue_comment', commentPayload(body, issueNumber, association)));

async function featuresOfIssue(issueNumber: number, repo = 'Codertocat/Hello-World'): Promise<Feature[]> {
  return (await store.listFeatures({ limit: 100 })).items.filter(
    (f) => f.source?.kind === 'github_issue' && f.source.repo === repo && f.source.issueNumber === issueNumber,
  );
}

async function moveTo(featureId: string, path: FeatureStatus[]): Promise<void> {
  for (const to of path) await store.transitionFeature(featureId, { to });
}

describe('POST /webhooks/github: commands in issue comments', () => {
  it('builds once from /dsf build by a collaborator, with the issue as its source', async () => {
    const first = await command('/dsf build', 401);
    const second = await command('/dsf build', 401);

    expect(first).toMatchObject({ kind: 'command', command: 'build', result: 'started' });
    expect(second).toMatchObject({ kind: 'command', command: 'build', result: 'already-active', featureId: first.featureId });
    const features = await featuresOfIssue(401);
    expect(features.map((f) => f.id)).toEqual([first.featureId]);
    expect(features[0]).toMatchObject({ source: { kind: 'github_issue', repo: 'Codertocat/Hello-World', issueNumber: 401 }, status: 'queued' });
    expect(workflow.started.filter((s) => s.name === `feature-${first.featureId}`)).toHaveLength(1);
    expect(commenter.on(401)).toEqual([
      `DSF started \`${first.featureId}\` for this issue.`,
      `DSF is already working on this issue: \`${first.featureId}\` is queued.`,
    ]);
  });

  it('reads the command at the start of any line, in any case, and nothing after it', async () => {
    const outcome = await command('Looks good to me.\n  /DSF Build and also delete the repository please', 402);

    expect(outcome).toMatchObject({ kind: 'command', command: 'build', result: 'started' });
    const [feature] = await featuresOfIssue(402);
    expect(feature?.description).not.toContain('delete the repository');
  });

  it('ignores comments that are not commands, commands mid-line, and bots', async () => {
    const bot = commentPayload('/dsf build', 403);
    bot.comment.user.type = 'Bot';

    const outcomes = [
      await command('You are totally right! I will get this fixed right away.', 403),
      await command('please run /dsf build', 403),
      await command('/dsf builder', 403),
      await accepted(await deliver('issue_comment', bot)),
    ];

    for (const outcome of outcomes) expect(outcome.kind).toBe('ignored');
    expect(await featuresOfIssue(403)).toEqual([]);
    expect(commenter.on(403)).toEqual([]);
  });

  it.each(['CONTRIBUTOR', 'FIRST_TIME_CONTRIBUTOR', 'NONE'])('refuses a command from a %s politely and does nothing else', async (association) => {
    const issue = 500 + association.length;
    const startedBefore = workflow.started.length;

    const outcome = await command('/dsf build', issue, association);

    expect(outcome).toEqual({ deliveryId: expect.any(String), kind: 'refused', reason: `author association ${association}` });
    expect(await featuresOfIssue(issue)).toEqual([]);
    expect(workflow.started.length).toBe(startedBefore);
    expect(commenter.on(issue)).toHaveLength(1);
    expect(commenter.on(issue)[0]).toMatch(/^Sorry, only owners, members and collaborators/);
  });

  it('reports the plan on the issue, and /dsf status gives the status and task counts', async () => {
    const none = await command('/dsf status', 404);
    const { featureId } = await command('/dsf build', 404);
    await planStep(
      { store, workflow, logger: silentLogger(), scheduling: { policy: 'priority', capacity: defaultAgentCapacity }, notifier },
      featureId!,
    );
    const tasks = await store.listTasks(featureId!);

    const status = await command('/dsf status', 404);

    expect(none).toMatchObject({ command: 'status', result: 'none' });
    expect(status).toMatchObject({ command: 'status', result: 'running', featureId });
    const [noneReply, , plan, statusReply] = commenter.on(404);
    expect(noneReply).toMatch(/no DSF feature for this issue yet/);
    expect(plan).toContain(`DSF planned \`${featureId}\` as ${tasks.length} tasks:`);
    const dependent = tasks.find((t) => t.dependsOn.length > 0)!;
    expect(plan).toContain(`- [ ] \`${dependent.id}\` `);
    expect(plan).toContain(`after ${dependent.dependsOn.map((id) => `\`${id}\``).join(', ')}`);
    // The plan step releases the root at once (queued); its dependent waits.
    const pending = tasks.filter((t) => t.status === 'pending').length;
    const queued = tasks.filter((t) => t.status === 'queued').length;
    expect([pending, queued]).toEqual([tasks.length - 1, 1]);
    expect(statusReply).toBe(`\`${featureId}\` is **running**. Tasks: ${tasks.length} (${pending} pending, ${queued} queued).`);
  });

  it('cancels the active feature on /dsf cancel, then /dsf retry starts a new one, once', async () => {
    const { featureId } = await command('/dsf build', 405);

    const cancel = await command('/dsf cancel', 405);
    const retry = await command('/dsf retry', 405);
    const again = await command('/dsf retry', 405);

    expect(cancel).toMatchObject({ command: 'cancel', result: 'cancelled', featureId });
    expect(await store.getFeature(featureId!)).toMatchObject({ status: 'cancelled', statusReason: 'cancelled by Codertocat on GitHub' });
    expect(workflow.stopped).toContain(`feature-${featureId}`);
    expect(retry).toMatchObject({ command: 'retry', result: 'started' });
    expect(retry.featureId).not.toBe(featureId);
    expect(again).toMatchObject({ command: 'retry', result: 'not-retryable', featureId: retry.featureId });
    expect((await featuresOfIssue(405)).map((f) => [f.id, f.status])).toEqual([
      [retry.featureId, 'queued'],
      [featureId, 'cancelled'],
    ]);
    expect(commenter.on(405).slice(1)).toEqual([
      `DSF cancelled \`${featureId}\` as requested.`,
      `DSF started \`${retry.featureId}\` for this issue, replacing \`${featureId}\` (cancelled).`,
      `There is nothing to retry: \`${retry.featureId}\` is queued. Retry starts again after a feature failed, was cancelled or needs a person.`,
    ]);
  });

  it('retries a feature waiting for a person by replacing it, and says so when there is nothing to cancel', async () => {
    const { featureId } = await command('/dsf build', 406);
    await moveTo(featureId!, ['planning', 'needs_human']);

    const retry = await command('/dsf retry', 406);
    await command('/dsf cancel', 406);
    const nothing = await command('/dsf cancel', 406);

    expect(retry).toMatchObject({ command: 'retry', result: 'started' });
    expect(await store.getFeature(featureId!)).toMatchObject({ status: 'cancelled', statusReason: 'superseded by a retry requested on GitHub' });
    expect(nothing).toMatchObject({ command: 'cancel', result: 'none' });
    expect(commenter.on(406).at(-1)).toBe('There is nothing to cancel: no DSF feature for this issue is in progress.');
  });
});

describe('POST /webhooks/github: pull requests', () => {
  function closed(featureId: string, merged: boolean) {
    const payload = example('pull_request', 'closed') as { pull_request: { merged: boolean; head: { ref: string } } };
    payload.pull_request.merged = merged;
    payload.pull_request.head.ref = `dsf/${featureId}`;
    return payload;
  }

  it('marks a feature merged when its pull request is merged, and says so on the issue', async () => {
    const { featureId } = await command('/dsf build', 601);
    await moveTo(featureId!, ['planning', 'running', 'gating', 'pr_open']);

    const outcome = await accepted(await deliver('pull_request', closed(featureId!, true)));

    expect(outcome).toMatchObject({ kind: 'merged', featureId });
    expect(await store.getFeature(featureId!)).toMatchObject({
      status: 'merged',
      statusReason: 'pull request #2 merged',
      pullRequest: { number: 2, url: 'https://github.com/Codertocat/Hello-World/pull/2' },
    });
    expect(commenter.on(601).at(-1)).toBe(`Pull request #2 was merged: \`${featureId}\` is done.`);
  });

  it('ignores a merge for a feature that is not pr_open, and pull requests of other branches', async () => {
    const { featureId } = await command('/dsf build', 602);
    const other = example('pull_request', 'closed') as { pull_request: { merged: boolean } };
    other.pull_request.merged = true;

    const early = await accepted(await deliver('pull_request', closed(featureId!, true)));
    const unrelated = await accepted(await deliver('pull_request', other));

    expect(early).toMatchObject({ kind: 'ignored', reason: `feature ${featureId} is queued, not pr_open` });
    expect(unrelated).toMatchObject({ kind: 'ignored', reason: 'head changes is not a feature branch' });
    expect(await store.getFeature(featureId!)).toMatchObject({ status: 'queued' });
  });

  it('ignores another pull request from the feature branch than the one the feature opened', async () => {
    const { featureId } = await command('/dsf build', 604);
    await moveTo(featureId!, ['planning', 'running', 'gating']);
    await store.transitionFeature(featureId!, { to: 'pr_open', pullRequest: { number: 9 } });

    const outcome = await accepted(await deliver('pull_request', closed(featureId!, true)));

    expect(outcome).toMatchObject({ kind: 'ignored', reason: `feature ${featureId} has pull request #9, not #2` });
    expect(await store.getFeature(featureId!)).toMatchObject({ status: 'pr_open' });
  });

  it('cancels a feature whose pull request is closed without merging', async () => {
    const { featureId } = await command('/dsf build', 603);
    await moveTo(featureId!, ['planning', 'running', 'gating', 'pr_open']);

    const outcome = await accepted(await deliver('pull_request', closed(featureId!, false)));

    expect(outcome).toMatchObject({ kind: 'cancelled', featureId });
    expect(await store.getFeature(featureId!)).toMatchObject({ status: 'cancelled', statusReason: 'pull request #2 was closed without merging' });
    expect(commenter.on(603).at(-1)).toMatch(/^DSF cancelled `feat_\w+`: pull request #2 was closed without merging/);
  });
});

describe('POST /webhooks/github: pushes to a base branch', () => {
  /** A repository on the local git host, and a running feature on it with work on its branch. */
  async function runningFeature(repo: string, issueNumber: number, featureFiles: Record<string, string>) {
    await gitHost.importRepository(repo, await makeSourceRepo({ 'README.md': '# hello\n' }, 'master'));
    const payload = labeled('dsf', issueNumber) as unknown as { repository: { full_name: string } };
    payload.repository.full_name = repo;
    const { featureId } = (await (await deliver('issues', payload)).json()) as { featureId: string };
    await moveTo(featureId, ['planning', 'running']);
    await gitHost.ensureBranch(repo, `dsf/${featureId}`, 'master');
    const featureHead = await commitToBranch(gitHost, repo, `dsf/${featureId}`, featureFiles, 'feature work');
    return { featureId, featureHead };
  }

  function push(repo: string, branch: string) {
    const payload = example('push') as { ref: string; deleted: boolean; repository: { full_name: string } };
    payload.ref = `refs/heads/${branch}`;
    payload.deleted = false;
    payload.repository.full_name = repo;
    return payload;
  }

  it('merges the new base into each feature branch in progress', async () => {
    const repo = 'Codertocat/push-clean';
    const { featureId, featureHead } = await runningFeature(repo, 701, { 'feature.txt': 'new\n' });
    const baseHead = await commitToBranch(gitHost, repo, 'master', { 'base.txt': 'moved\n' }, 'base moved');

    const outcome = await accepted(await deliver('push', push(repo, 'master')));

    expect(outcome).toMatchObject({ kind: 'reintegrated', features: [{ featureId, result: 'merged' }] });
    const merge = await gitHost.getCommit(repo, `dsf/${featureId}`);
    expect(merge.parents).toEqual([featureHead, baseHead]);
    expect(await gitHost.readFile(repo, `dsf/${featureId}`, 'base.txt')).toBe('moved\n');
    expect(await store.getFeature(featureId)).toMatchObject({ status: 'running' });
  });

  it('stops a feature for a person when the new base conflicts, with the paths, on the issue too', async () => {
    const repo = 'Codertocat/push-conflict';
    const { featureId, featureHead } = await runningFeature(repo, 702, { 'README.md': '# hello from the feature\n' });
    await commitToBranch(gitHost, repo, 'master', { 'README.md': '# hello from the base\n' }, 'base moved');

    const outcome = await accepted(await deliver('push', push(repo, 'master')));

    expect(outcome).toMatchObject({ kind: 'reintegrated', features: [{ featureId, result: 'conflict' }] });
    const reason = `master moved and no longer merges into dsf/${featureId}: conflicts in README.md`;
    expect(await store.getFeature(featureId)).toMatchObject({ status: 'needs_human', statusReason: reason });
    expect(await gitHost.branchHead(repo, `dsf/${featureId}`)).toBe(featureHead);
    expect(commenter.on(702, repo)).toEqual([`DSF needs a person for \`${featureId}\`: ${reason}`]);
  });

  it('ignores pushes to other branches, tags and branch deletions', async () => {
    const repo = 'Codertocat/push-other';
    const { featureId, featureHead } = await runningFeature(repo, 703, { 'feature.txt': 'new\n' });
    await gitHost.ensureBranch(repo, 'topic', 'master');
    const deletion = push(repo, 'master');
    deletion.deleted = true;

    const outcomes = [
      await accepted(await deliver('push', push(repo, 'topic'))),
      await accepted(await deliver('push', example('push'))),
      await accepted(await deliver('push', deletion)),
    ];

    for (const outcome of outcomes) expect(outcome.kind).toBe('ignored');
    expect(await gitHost.branchHead(repo, `dsf/${featureId}`)).toBe(featureHead);
  });
});
