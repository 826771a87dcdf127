import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Bottleneck from 'bottleneck';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubHost } from '../../lambdas/adapters/github/github-host.js';
import { GitHubWorkspaceProvider, gitHubRemote } from '../../lambdas/adapters/github/github-workspace.js';
import { createGitRunner, type GitRunner } from '../../lambdas/adapters/local-git/git-cli.js';
import { LocalGitHost } from '../../lambdas/adapters/local-git/local-git-host.js';
import { MemoryPullRequestStore } from '../../lambdas/adapters/memory/memory-pull-request-store.js';
import { systemClock } from '../../lambdas/ports/clock.js';
import { featureBranchName, PushRejectedError, taskBranchName, withWorkspace, type WorkspaceRequest } from '../../lambdas/ports/workspace.js';
import { FakeGitHubServer } from '../support/fake-github-server.js';
import { ids } from '../support/fixtures.js';
import { startGitHttpServer, type GitHttpServer } from '../support/git-http-server.js';
import { commitToBranch, makeSourceRepo, removeTempDirs, tempDir } from '../support/local-git.js';

/**
 * The GitHub workspace against a real git smart-HTTP server (git http-backend
 * behind test/support/git-http-server.ts) that, like GitHub, refuses requests
 * without the installation token. The repository is a bare one of LocalGitHost,
 * whose ensureBranch stands in for the API's (GitHubHost's own is covered by the
 * git host contract against the fake GitHub API).
 */
afterAll(removeTempDirs);

const basic = (token: string) => `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;

let token: string;
let local: LocalGitHost;
let server: GitHttpServer;
let scratch: string;
let request: WorkspaceRequest;
/** Every git command the workspace ran, with its environment. */
let commands: { args: readonly string[]; env: Readonly<Record<string, string>> }[];
let workspaces: GitHubWorkspaceProvider;
let ensured: string[];

beforeEach(async () => {
  token = `ghs_${ids.ulid()}SecretInstallationToken`;
  local = new LocalGitHost({ dataDir: await tempDir(), pullRequests: new MemoryPullRequestStore({ clock: systemClock, ids }) });
  await local.importRepository('demo', await makeSourceRepo({ 'README.md': '# demo\n' }));
  // Served as <reposDir>/octo/demo.git: the URL path GitHub has for octo/demo.
  const reposDir = dirname(await local.gitDir('demo'));
  await mkdir(join(reposDir, 'octo'));
  await symlink(await local.gitDir('demo'), join(reposDir, 'octo', 'demo.git'), 'dir');
  server = await startGitHttpServer({ projectRoot: reposDir, expectedAuthorization: () => basic(token) });
  scratch = await tempDir('dsf-scratch-');
  commands = [];
  ensured = [];
  // http, not https: the test server is plain HTTP on loopback.
  const realGit = createGitRunner({ allowProtocols: ['http'] });
  const git: GitRunner = (args, options) => {
    commands.push({ args, env: options?.env ?? {} });
    return realGit(args, options);
  };
  workspaces = new GitHubWorkspaceProvider({
    host: {
      ensureBranch: async (repo, branch, from) => {
        ensured.push(`${repo}:${branch}<-${from}`);
        return local.ensureBranch(repo, branch, from);
      },
      repoFullName: (repo) => `octo/${repo}`,
      accessToken: async () => token,
    },
    gitBaseUrl: server.url,
    tmpDir: scratch,
    git,
  });
  request = { repo: 'demo', featureId: `feat_${ids.ulid()}`, taskId: 'endpoint', baseBranch: 'main' };
});
afterEach(() => server.close());

describe('GitHubWorkspaceProvider over smart HTTP', () => {
  it('creates the feature branch through the host, clones it, and pushes a commit with the trailers', async () => {
    const mainHead = await local.branchHead('demo', 'main');

    const { commit, pushed, baseCommit } = await withWorkspace(workspaces, request, async (workspace) => {
      expect(await workspace.read('README.md')).toBe('# demo\n');
      await workspace.write('src/health.ts', 'export const health = () => 200;\n');
      const commit = await workspace.commit('Add the health route', { 'Co-authored-by': 'Code Agent <agent@dsf>' });
      return { commit, pushed: await workspace.push(), baseCommit: workspace.baseCommit };
    });

    expect(ensured).toEqual([`demo:${featureBranchName(request.featureId)}<-main`]);
    expect(baseCommit).toBe(mainHead);
    expect(pushed).toBe(commit);
    expect(await local.branchHead('demo', taskBranchName(request.featureId, 'endpoint'))).toBe(commit);
    expect((await local.getCommit('demo', commit!)).message).toBe(
      `Add the health route\n\nFeature: ${request.featureId}\nTask: endpoint\nCo-authored-by: Code Agent <agent@dsf>`,
    );
    // Clone (info/refs + upload-pack), ls-remote and push (info/refs + receive-pack) all went over HTTP, each authenticated.
    expect(server.requests.some((r) => r.url.endsWith('/git-upload-pack'))).toBe(true);
    expect(server.requests.some((r) => r.url.endsWith('/git-receive-pack'))).toBe(true);
    expect(server.requests.every((r) => r.authorization === basic(token))).toBe(true);
  });

  it('keeps the token out of argv, the remote URL and every file of the clone', async () => {
    const encoded = Buffer.from(`x-access-token:${token}`).toString('base64');

    await withWorkspace(workspaces, request, async (workspace) => {
      await workspace.write('a.txt', 'a\n');
      await workspace.commit('A');
      await workspace.push();
      await workspace.fetch('main');

      const files = await filesUnder(join(workspace.dir, '.git'));
      expect(files.length).toBeGreaterThan(10);
      for (const file of files) {
        const content = await readFile(file, 'latin1');
        expect(content, file).not.toContain(token);
        expect(content, file).not.toContain(encoded);
      }
      const config = await readFile(join(workspace.dir, '.git', 'config'), 'utf8');
      expect(config).toContain(`url = ${server.url}/octo/demo.git`);
      expect(config).not.toMatch(/extraheader/i);
    });

    expect(commands.flatMap((command) => command.args).filter((arg) => arg.includes(token) || arg.includes(encoded))).toEqual([]);
    // Only the commands that talk to GitHub carry the header, scoped to its origin.
    const authenticated = commands.filter((command) => command.env['GIT_CONFIG_VALUE_0'] !== undefined).map((command) => command.args[0]);
    expect(authenticated).toEqual(['clone', 'ls-remote', 'push', 'fetch']);
    expect(commands.find((command) => command.args[0] === 'clone')!.env['GIT_CONFIG_KEY_0']).toBe(`http.${server.url}/.extraHeader`);
  });

  it('asks for the token per command, so a token refreshed mid-task is the one used', async () => {
    await withWorkspace(workspaces, request, async (workspace) => {
      await workspace.write('a.txt', 'a\n');
      await workspace.commit('A');
      token = `ghs_${ids.ulid()}RefreshedToken`;

      await workspace.push();
    });

    expect(server.requests.at(-1)?.authorization).toBe(basic(token));
  });

  it('fails to open without a valid token, saying nothing of the token, and leaves no working copy', async () => {
    const refused = token;
    const server401 = server;
    token = 'ghs_expected_by_nobody';
    const git = createGitRunner({ allowProtocols: ['http'] });
    const wrong = new GitHubWorkspaceProvider({
      host: { ensureBranch: (repo, branch, from) => local.ensureBranch(repo, branch, from), repoFullName: (repo) => `octo/${repo}`, accessToken: async () => refused },
      gitBaseUrl: server401.url,
      tmpDir: scratch,
      git,
    });

    const error: unknown = await wrong.open(request).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain(refused);
    expect(server.requests.at(-1)?.authorization).toBe(basic(refused));
    expect(await readdir(scratch)).toEqual([]);
  });

  it('keeps the push lease: replaces an earlier attempt, refuses to overwrite a concurrent worker', async () => {
    await withWorkspace(workspaces, request, async (workspace) => {
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
      expect(await local.branchHead('demo', taskBranchName(request.featureId, 'endpoint'))).toBe(retried);
    } finally {
      await Promise.all([first.dispose(), second.dispose()]);
    }
    expect(existsSync(first.dir)).toBe(false);
  });

  it('fetches the moved feature branch and merges it, conflicts keeping their markers', async () => {
    const workspace = await workspaces.open(request);
    try {
      const moved = await commitToBranch(local, 'demo', featureBranchName(request.featureId), { 'README.md': '# theirs\n' }, 'Rival');
      await workspace.write('README.md', '# mine\n');
      await workspace.commit('Mine');

      expect(await workspace.fetch(featureBranchName(request.featureId))).toBe(moved);
      expect(await workspace.merge(moved)).toEqual({ conflicts: ['README.md'] });
      expect(await workspace.read('README.md')).toMatch(/<<<<<<<[^\n]*\n# mine\n=======\n# theirs\n>>>>>>>/);
    } finally {
      await workspace.dispose();
    }
  });
});

describe('gitHubRemote', () => {
  it('puts the token only in the environment, as a Basic header scoped to the origin', async () => {
    const remote = gitHubRemote('https://github.com/octo/demo.git', async () => 'ghs_abc');

    expect(remote.url).toBe('https://github.com/octo/demo.git');
    expect(await remote.authEnv()).toEqual({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.https://github.com/.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: ${basic('ghs_abc')}`,
    });
  });
});

describe('GitHubHost git access', () => {
  const fake = new FakeGitHubServer();
  afterAll(() => fake.stop());
  const unpaced = new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 });
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

  it('names repositories owner/name and hands git the configured token', async () => {
    const host = new GitHubHost({ auth: { kind: 'token', token: 'ghp_configured' }, owner: 'octo', log: quiet });

    expect(host.repoFullName('demo')).toBe('octo/demo');
    expect(host.repoFullName('other/repo')).toBe('other/repo');
    expect(await host.accessToken()).toBe('ghp_configured');
  });

  it('hands git the installation token of a GitHub App, minted once', async () => {
    await fake.start();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const host = new GitHubHost({
      auth: { kind: 'app', appId: 7, privateKey, installationId: 99 },
      owner: 'octo',
      baseUrl: fake.baseUrl,
      limiters: { write: unpaced, notifications: unpaced },
      log: quiet,
    });

    const [first, second] = [await host.accessToken(), await host.accessToken()];

    expect(fake.mintedTokens).toEqual([{ installationId: 99, appId: '7', token: first }]);
    expect(second).toBe(first);
  });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}
