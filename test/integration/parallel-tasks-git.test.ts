import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbLock } from '../../lambdas/adapters/dynamodb/dynamodb-lock.js';
import { createGitRunner, type GitRunner } from '../../lambdas/adapters/local-git/git-cli.js';
import { LocalGitHost } from '../../lambdas/adapters/local-git/local-git-host.js';
import { LocalWorkspaceProvider } from '../../lambdas/adapters/local-git/local-workspace.js';
import { MemoryPullRequestStore } from '../../lambdas/adapters/memory/memory-pull-request-store.js';
import { systemClock } from '../../lambdas/ports/clock.js';
import { integrationLockName, type IntegrationResult } from '../../lambdas/ports/git-host.js';
import type { Lock } from '../../lambdas/ports/lock.js';
import { featureBranchName, withWorkspace, type Workspace } from '../../lambdas/ports/workspace.js';
import { freshTable } from '../support/dynamodb.js';
import { ids } from '../support/fixtures.js';
import { makeSourceRepo, removeTempDirs, tempDir } from '../support/local-git.js';

const REPO = 'demo';
const README = '# Demo\n\nA service that says hello.\n\n## Usage\n\nRun it.\n';

let client: DynamoDBDocumentClient;
let lock: Lock;
let source: string;

beforeAll(async () => {
  const table = await freshTable('parallel-git');
  client = table.client;
  lock = new DynamoDbLock({ client: table.client, tableName: table.tableName, clock: systemClock });
  source = await makeSourceRepo({ 'README.md': README });
});

afterAll(async () => {
  client?.destroy();
  await removeTempDirs();
});

async function factory(git?: GitRunner) {
  const host = new LocalGitHost({
    dataDir: await tempDir(),
    pullRequests: new MemoryPullRequestStore({ clock: systemClock, ids }),
    ...(git ? { git } : {}),
  });
  await host.importRepository(REPO, source);
  return { host, workspaces: new LocalWorkspaceProvider({ host, tmpDir: await tempDir('dsf-ws-root-') }) };
}

interface TaskRun {
  readonly taskId: string;
  readonly branch: string;
  readonly commit: string;
  readonly result: IntegrationResult;
}

/** What the agent worker does for a task: edit in a fresh workspace, commit, push, integrate into the feature branch. */
async function runTask(
  env: Awaited<ReturnType<typeof factory>>,
  featureId: string,
  taskId: string,
  edit: (workspace: Workspace) => Promise<void>,
  integrate: (workspace: Workspace) => Promise<IntegrationResult>,
): Promise<TaskRun> {
  return withWorkspace(env.workspaces, { repo: REPO, featureId, taskId, baseBranch: 'main' }, async (workspace) => {
    await edit(workspace);
    const commit = await workspace.commit(`Task ${taskId}`);
    if (!commit) throw new Error(`task ${taskId} changed nothing`);
    await workspace.push();
    return { taskId, branch: workspace.branch, commit, result: await integrate(workspace) };
  });
}

describe('two tasks of one feature in parallel', () => {
  const spans: { start: number; end: number }[] = [];
  const throughTheLock = (host: LocalGitHost) => (workspace: Workspace) =>
    lock.withLock(
      integrationLockName(REPO, workspace.featureBranch),
      30_000,
      async () => {
        const start = performance.now();
        try {
          return await host.integrate(REPO, { source: workspace.branch, target: workspace.featureBranch, message: `Merge ${workspace.taskId}` });
        } finally {
          spans.push({ start, end: performance.now() });
        }
      },
      { waitMs: 30_000, pollMs: 10 },
    );

  it('lands both changes on the feature branch when they touch different files', async () => {
    const env = await factory();
    const featureId = `feat_${ids.ulid()}`;
    spans.length = 0;

    const runs = await Promise.all([
      runTask(env, featureId, 'api', (ws) => ws.write('src/api.ts', 'export const api = 1;\n'), throughTheLock(env.host)),
      runTask(env, featureId, 'docs', (ws) => ws.write('docs/api.md', '# API\n'), throughTheLock(env.host)),
    ]);

    expect(runs.map((run) => run.result.kind)).toEqual(['merged', 'merged']);
    const feature = featureBranchName(featureId);
    expect(await env.host.readFile(REPO, feature, 'src/api.ts')).toBe('export const api = 1;\n');
    expect(await env.host.readFile(REPO, feature, 'docs/api.md')).toBe('# API\n');
    expect(await env.host.readFile(REPO, feature, 'README.md')).toBe(README);
    // The merges ran one after the other, and the second was made on top of the first.
    const [first, second] = spans.sort((a, b) => a.start - b.start);
    expect(second!.start).toBeGreaterThanOrEqual(first!.end);
    const head = await env.host.getCommit(REPO, feature);
    const last = runs.find((run) => run.result.kind === 'merged' && run.result.commit === head.sha)!;
    const other = runs.find((run) => run !== last)!;
    expect(head.parents).toEqual([other.result.kind === 'merged' ? other.result.commit : '', last.commit]);
    for (const run of runs) expect(await env.host.branchHead(REPO, run.branch)).toBe(run.commit);
  });

  it('reports a conflict with paths and markers when they touch the same lines, and loses nothing', async () => {
    const env = await factory();
    const featureId = `feat_${ids.ulid()}`;
    const retitle = (title: string) => (ws: Workspace) => ws.write('README.md', README.replace('# Demo', `# ${title}`));

    const runs = await Promise.all([
      runTask(env, featureId, 'rename-a', retitle('Greeter'), throughTheLock(env.host)),
      runTask(env, featureId, 'rename-b', retitle('Hello Service'), throughTheLock(env.host)),
    ]);

    const merged = runs.find((run) => run.result.kind === 'merged');
    const conflicted = runs.find((run) => run.result.kind === 'conflict');
    expect(merged).toBeDefined();
    expect(conflicted).toBeDefined();
    if (conflicted?.result.kind !== 'conflict' || merged?.result.kind !== 'merged') return;
    expect(conflicted.result.paths).toEqual(['README.md']);
    const marked = conflicted.result.files[0]!;
    expect(marked.path).toBe('README.md');
    expect(marked.content).toMatch(/^<<<<<<< dsf\/feat_\w+\n# (Greeter|Hello Service)\n=======\n# (Greeter|Hello Service)\n>>>>>>> dsf\/tasks\//m);
    expect(marked.content).toContain('A service that says hello.');
    // Nothing lost: the feature branch holds the winner, each task branch still holds its own commit.
    const feature = featureBranchName(featureId);
    expect(await env.host.branchHead(REPO, feature)).toBe(merged.result.commit);
    for (const run of runs) expect(await env.host.branchHead(REPO, run.branch)).toBe(run.commit);
    const winnerTitle = merged.taskId === 'rename-a' ? '# Greeter' : '# Hello Service';
    const loserTitle = merged.taskId === 'rename-a' ? '# Hello Service' : '# Greeter';
    expect(await env.host.readFile(REPO, feature, 'README.md')).toMatch(new RegExp(`^${winnerTitle}\n`));
    expect(await env.host.readFile(REPO, conflicted.branch, 'README.md')).toMatch(new RegExp(`^${loserTitle}\n`));
  });
});

describe('without the lock', () => {
  it('the compare-and-swap ref update still loses no update: the integration that lost the race retries', async () => {
    const real = createGitRunner();
    const featureId = `feat_${ids.ulid()}`;
    const feature = featureBranchName(featureId);
    let casCalls = 0;
    let casFailures = 0;
    let releaseFirst!: () => void;
    const secondLanded = new Promise<void>((resolve) => (releaseFirst = resolve));
    // Holds the first compare-and-swap on the feature branch until another one has gone through,
    // so the two integrations race deterministically. ensureBranch's create-if-absent ('' as old value) is not held.
    const racingGit: GitRunner = async (args, options) => {
      if (args[0] !== 'update-ref' || args[1] !== `refs/heads/${feature}` || args[3] === '') return real(args, options);
      const call = ++casCalls;
      if (call === 1) await secondLanded;
      const result = await real(args, options);
      if (result.code !== 0) casFailures += 1;
      if (call === 2) releaseFirst();
      return result;
    };
    const env = await factory(racingGit);
    const direct = (ws: Workspace) => env.host.integrate(REPO, { source: ws.branch, target: ws.featureBranch });

    const runs = await Promise.all([
      runTask(env, featureId, 'left', (ws) => ws.write('left.txt', 'left\n'), direct),
      runTask(env, featureId, 'right', (ws) => ws.write('right.txt', 'right\n'), direct),
    ]);

    expect(runs.map((run) => run.result.kind)).toEqual(['merged', 'merged']);
    expect({ casCalls, casFailures }).toEqual({ casCalls: 3, casFailures: 1 });
    expect(await env.host.readFile(REPO, feature, 'left.txt')).toBe('left\n');
    expect(await env.host.readFile(REPO, feature, 'right.txt')).toBe('right\n');
  });

  it('lands every change when several integrations race freely', async () => {
    const env = await factory();
    const featureId = `feat_${ids.ulid()}`;
    const tasks = ['t1', 't2', 't3', 't4', 't5'];
    const direct = (ws: Workspace) => env.host.integrate(REPO, { source: ws.branch, target: ws.featureBranch });

    const runs = await Promise.all(tasks.map((taskId) => runTask(env, featureId, taskId, (ws) => ws.write(`${taskId}.txt`, `${taskId}\n`), direct)));

    expect(runs.every((run) => run.result.kind === 'merged')).toBe(true);
    for (const taskId of tasks) expect(await env.host.readFile(REPO, featureBranchName(featureId), `${taskId}.txt`)).toBe(`${taskId}\n`);
  });
});
