import { existsSync } from 'node:fs';
import { readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalGitHost } from '../../lambdas/adapters/local-git/local-git-host.js';
import { LocalWorkspaceProvider } from '../../lambdas/adapters/local-git/local-workspace.js';
import { MemoryPullRequestStore } from '../../lambdas/adapters/memory/memory-pull-request-store.js';
import { systemClock } from '../../lambdas/ports/clock.js';
import { BranchNotFoundError, RepoNotFoundError } from '../../lambdas/ports/git-host.js';
import {
  featureBranchName,
  PushRejectedError,
  taskBranchName,
  withWorkspace,
  WorkspacePathError,
  type WorkspaceRequest,
} from '../../lambdas/ports/workspace.js';
import { ids } from '../support/fixtures.js';
import { makeSourceRepo, removeTempDirs, tempDir } from '../support/local-git.js';

afterAll(removeTempDirs);

let host: LocalGitHost;
let workspaces: LocalWorkspaceProvider;
let scratch: string;
let request: WorkspaceRequest;

beforeEach(async () => {
  host = new LocalGitHost({ dataDir: await tempDir(), pullRequests: new MemoryPullRequestStore({ clock: systemClock, ids }) });
  await host.importRepository('demo', await makeSourceRepo({ 'README.md': '# demo\n' }));
  scratch = await tempDir('dsf-scratch-');
  workspaces = new LocalWorkspaceProvider({ host, tmpDir: scratch });
  request = { repo: 'demo', featureId: `feat_${ids.ulid()}`, taskId: 'endpoint', baseBranch: 'main' };
});

describe('LocalWorkspaceProvider', () => {
  it('cuts the task branch from the feature branch, which it first creates from the base branch', async () => {
    const mainHead = await host.branchHead('demo', 'main');

    await withWorkspace(workspaces, request, async (workspace) => {
      expect(workspace.featureBranch).toBe(`dsf/${request.featureId}`);
      expect(workspace.branch).toBe(`dsf/tasks/${request.featureId}/endpoint`);
      expect(workspace.baseCommit).toBe(mainHead);
      expect(await host.branchHead('demo', featureBranchName(request.featureId))).toBe(mainHead);
      expect(await workspace.read('README.md')).toBe('# demo\n');
      expect(workspace.dir.startsWith(scratch)).toBe(true);
    });
  });

  it('commits with Feature and Task trailers and pushes the task branch, leaving the feature branch alone', async () => {
    const featureHead = (await host.ensureBranch('demo', featureBranchName(request.featureId), 'main')).commit;

    const { commit, pushed } = await withWorkspace(workspaces, request, async (workspace) => {
      await workspace.write('src/health.ts', 'export const health = () => 200;\n');
      await writeFile(join(workspace.dir, 'made-by-a-tool.txt'), 'tools write straight into dir\n');
      const commit = await workspace.commit('Add the health route', { 'Co-authored-by': 'Code Agent <agent@dsf>' });
      return { commit, pushed: await workspace.push() };
    });

    expect(pushed).toBe(commit);
    expect(await host.branchHead('demo', taskBranchName(request.featureId, 'endpoint'))).toBe(commit);
    expect(await host.branchHead('demo', featureBranchName(request.featureId))).toBe(featureHead);
    const info = await host.getCommit('demo', commit!);
    expect(info.message).toBe(
      `Add the health route\n\nFeature: ${request.featureId}\nTask: endpoint\nCo-authored-by: Code Agent <agent@dsf>`,
    );
    expect(info.parents).toEqual([featureHead]);
    expect(await host.readFile('demo', commit!, 'made-by-a-tool.txt')).toBe('tools write straight into dir\n');
  });

  it('commits nothing when nothing changed', async () => {
    await withWorkspace(workspaces, request, async (workspace) => {
      expect(await workspace.commit('Nothing to see')).toBeUndefined();
      await workspace.write('README.md', '# demo\n');
      expect(await workspace.commit('Same content')).toBeUndefined();
    });
  });

  it('refuses paths outside the working tree or inside .git', async () => {
    await withWorkspace(workspaces, request, async (workspace) => {
      await symlink(scratch, join(workspace.dir, 'escape'));
      for (const path of ['../outside.txt', '/etc/passwd', '.git/config', 'a/../../outside.txt', '', 'escape/file.txt', 'escape']) {
        await expect(workspace.write(path, 'x'), path).rejects.toBeInstanceOf(WorkspacePathError);
      }
      await expect(workspace.read('.git/HEAD')).rejects.toBeInstanceOf(WorkspacePathError);
      await workspace.write('docs/..weird/ok.txt', 'fine\n');
      expect(await workspace.read('docs/..weird/ok.txt')).toBe('fine\n');
      expect(await workspace.read('missing.txt')).toBeUndefined();
    });
  });

  it('always removes the working copy: after success, after failure, and when opening fails', async () => {
    let dir = '';
    await withWorkspace(workspaces, request, async (workspace) => {
      dir = workspace.dir;
    });
    expect(existsSync(dir)).toBe(false);

    await expect(
      withWorkspace(workspaces, { ...request, taskId: 'tests' }, async (workspace) => {
        dir = workspace.dir;
        await workspace.write('half-done.txt', 'x');
        throw new Error('agent crashed');
      }),
    ).rejects.toThrow('agent crashed');
    expect(existsSync(dir)).toBe(false);

    await expect(workspaces.open({ ...request, repo: 'nope' })).rejects.toBeInstanceOf(RepoNotFoundError);
    await expect(workspaces.open({ ...request, featureId: `feat_${ids.ulid()}`, baseBranch: 'develop' })).rejects.toBeInstanceOf(BranchNotFoundError);
    expect(await readdir(scratch)).toEqual([]);
  });

  it('replaces the task branch of an earlier attempt, but not one pushed by a concurrent worker', async () => {
    const earlier = await withWorkspace(workspaces, request, async (workspace) => {
      await workspace.write('attempt.txt', '1\n');
      await workspace.commit('Attempt 1');
      return workspace.push();
    });

    const first = await workspaces.open(request);
    const second = await workspaces.open(request);
    try {
      await first.write('attempt.txt', '2\n');
      const retried = await first.commit('Attempt 2');
      expect(await first.push()).toBe(retried);
      await second.write('attempt.txt', '3\n');
      await second.commit('Duplicate attempt');

      await expect(second.push()).rejects.toBeInstanceOf(PushRejectedError);

      const head = await host.branchHead('demo', taskBranchName(request.featureId, 'endpoint'));
      expect(head).toBe(retried);
      expect(head).not.toBe(earlier);
      await first.write('attempt.txt', '2b\n');
      const continued = await first.commit('Attempt 2, continued');
      // Its own earlier push moved the lease along, so a worker can push as often as it commits.
      expect(await first.push()).toBe(continued);
    } finally {
      await Promise.all([first.dispose(), second.dispose()]);
    }
  });

  it('fetches the moved feature branch and merges it cleanly; the next commit is a merge commit', async () => {
    const stale = await workspaces.open(request);
    try {
      // Another task lands on the feature branch after this workspace was cut.
      await withWorkspace(workspaces, { ...request, taskId: 'other' }, async (workspace) => {
        await workspace.write('other.txt', 'other\n');
        await workspace.commit('Other');
        await workspace.push();
        await host.integrate('demo', { source: workspace.branch, target: workspace.featureBranch });
      });
      await stale.write('README.md', '# demo, by stale\n');
      const own = await stale.commit('Stale');
      const featureHead = await stale.fetch(stale.featureBranch);
      expect(featureHead).toBe(await host.branchHead('demo', stale.featureBranch));

      const { conflicts } = await stale.merge(featureHead);

      expect(conflicts).toEqual([]);
      expect(await stale.read('README.md')).toBe('# demo, by stale\n');
      expect(await stale.read('other.txt')).toBe('other\n');
      const merged = await stale.commit('Merge the feature branch');
      const change = await stale.diff(stale.baseCommit);
      expect(change.files).toEqual(['README.md', 'other.txt']);
      expect(change.text).toContain('+# demo, by stale');
      expect(change.truncated).toBe(false);
      expect((await stale.diff(stale.baseCommit, 10)).truncated).toBe(true);
      await stale.push();
      expect((await host.getCommit('demo', merged!)).parents).toEqual([own, featureHead]);
    } finally {
      await stale.dispose();
    }
  });

  it('leaves conflict markers in the working tree when the feature branch changed the same lines', async () => {
    const cut = await workspaces.open(request);
    try {
      await withWorkspace(workspaces, { ...request, taskId: 'rival' }, async (workspace) => {
        await workspace.write('README.md', '# rival\n');
        await workspace.commit('Rival');
        await workspace.push();
        await host.integrate('demo', { source: workspace.branch, target: workspace.featureBranch });
      });
      await cut.write('README.md', '# mine\n');
      await cut.commit('Mine');

      const { conflicts } = await cut.merge(await cut.fetch(cut.featureBranch));

      expect(conflicts).toEqual(['README.md']);
      const marked = await cut.read('README.md');
      expect(marked).toContain('<<<<<<<');
      expect(marked).toContain('# mine');
      expect(marked).toContain('# rival');
      await cut.write('README.md', '# mine and rival\n');
      const resolved = await cut.commit('Resolve');
      await cut.push();
      expect((await host.getCommit('demo', resolved!)).parents).toHaveLength(2);
    } finally {
      await cut.dispose();
    }
  });

  it('refuses to fetch a branch name that is not one', async () => {
    await withWorkspace(workspaces, request, async (workspace) => {
      await expect(workspace.fetch('--upload-pack=evil')).rejects.toThrow();
    });
  });
});
