import { generateKeyPairSync } from 'node:crypto';
import Bottleneck from 'bottleneck';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubHost, type GitHubHostOptions } from '../../lambdas/adapters/github/github-host.js';
import type { OctokitLog } from '../../lambdas/adapters/github/redacting-log.js';
import { mergeText } from '../../lambdas/adapters/github/three-way-text-merge.js';
import { BranchNotFoundError, MergeConflictError, MergeRefusedError, PullRequestNotFoundError, RepoNotFoundError } from '../../lambdas/ports/git-host.js';
import { FakeGitHubServer } from '../support/fake-github-server.js';
import { describeGitHostContract } from './git-host.contract.js';

const TOKEN = 'ghp_FakeTokenThatMustNeverBeLogged0123456789';
const server = new FakeGitHubServer();

beforeAll(async () => {
  await server.start();
  server.createRepository('octo/demo');
});
afterAll(() => server.stop());

const unpaced = new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 });

/** GitHub's recommended pacing, compressed: no write spacing, retry-after seconds as milliseconds. */
function makeHost(overrides: Partial<GitHubHostOptions> = {}): GitHubHost {
  return new GitHubHost({
    auth: { kind: 'token', token: TOKEN },
    owner: 'octo',
    baseUrl: server.baseUrl,
    retryAfterBaseValue: 1,
    limiters: { write: unpaced, notifications: unpaced },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    ...overrides,
  });
}

describeGitHostContract('GitHubHost (fake GitHub)', async () => ({
  host: makeHost(),
  repo: 'demo',
  baseBranch: 'main',
  commitFiles: async (branch, files, message) => server.commitFiles('octo/demo', branch, files, message),
}));

describe('GitHubHost', () => {
  let lines: string[];
  let log: OctokitLog;

  beforeEach(() => {
    lines = [];
    const record = (message: string, ...rest: unknown[]) => void lines.push([message, ...rest.map((item) => JSON.stringify(item))].join(' '));
    log = { debug: record, info: record, warn: record, error: record };
  });

  it('retries a secondary rate limit after its retry-after, then succeeds', async () => {
    const host = makeHost({ log });
    server.failWithSecondaryRateLimit(2, 1);
    const before = server.requests.length;

    const repository = await host.getRepository('demo');

    expect(repository).toEqual({ name: 'demo', defaultBranch: 'main' });
    expect(server.requests.length - before).toBe(3);
    expect(lines.filter((line) => /rate limit.*retrying in 1s/.test(line))).toHaveLength(2);
  });

  it('gives up after the configured number of rate-limit retries', async () => {
    const host = makeHost({ log, rateLimitRetries: 1 });
    server.failWithSecondaryRateLimit(2, 0);

    await expect(host.getRepository('demo')).rejects.toMatchObject({ status: 403 });
    expect(lines.some((line) => /giving up/.test(line))).toBe(true);
  });

  it('retries a server error, then succeeds', async () => {
    const host = makeHost({ log });
    server.failWithServerError(2, 502);
    const before = server.requests.length;

    expect(await host.branchHead('demo', 'main')).toMatch(/^[0-9a-f]{40}$/);
    expect(server.requests.length - before).toBe(3);
  });

  it('sends the token to GitHub and never writes it to the log', async () => {
    const host = makeHost({ log, serverErrorRetries: 0 });
    server.failWithSecondaryRateLimit(1, 0);
    await host.getRepository('demo');
    server.failWithServerError(1, 500);
    await expect(host.getRepository('demo')).rejects.toMatchObject({ status: 500 });
    await host.listBranches('demo');

    expect(server.requests.at(-1)?.authorization).toBe(`token ${TOKEN}`);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('lists every branch of a repository with more than one page of them, following the link header', async () => {
    server.createRepository('octo/many');
    const host = makeHost();
    const names = Array.from({ length: 120 }, (_, index) => `b/${String(index).padStart(3, '0')}`);
    for (const name of names) server.createBranch('octo/many', name, 'main');
    const before = server.requests.length;

    const branches = await host.listBranches('many');

    expect(branches).toEqual([...names, 'main'].sort());
    expect(server.requests.slice(before).map((request) => request.path)).toEqual([
      '/repos/octo/many/branches?per_page=100',
      '/repos/octo/many/branches?per_page=100&page=2',
    ]);
  });

  it('authenticates as a GitHub App installation, minting the token once and caching it', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const host = makeHost({ log, auth: { kind: 'app', appId: 123, privateKey, installationId: 456 } });
    const minted = server.mintedTokens.length;

    await host.getRepository('demo');
    await host.listBranches('demo');

    expect(server.mintedTokens.slice(minted)).toEqual([{ installationId: 456, appId: '123', token: expect.stringMatching(/^ghs_/) }]);
    const { token } = server.mintedTokens.at(-1)!;
    expect(server.requests.at(-1)?.authorization).toBe(`token ${token}`);
    expect(lines.join('\n')).not.toContain(token);
  });

  it('reports a merge GitHub refuses for reasons other than a conflict, leaving the pull request open', async () => {
    const host = makeHost();
    await host.ensureBranch('demo', 'blocked/base', 'main');
    await host.ensureBranch('demo', 'blocked/head', 'main');
    server.commitFiles('octo/demo', 'blocked/head', { 'z.txt': 'z\n' });
    const { pullRequest } = await host.openPullRequest('demo', { head: 'blocked/head', base: 'blocked/base', title: 'Blocked' });
    server.blockMerges('Required status check "ci" is expected.');

    const refused = host.mergePullRequest('demo', pullRequest.number);

    await expect(refused).rejects.toBeInstanceOf(MergeRefusedError);
    await expect(refused).rejects.not.toBeInstanceOf(MergeConflictError);
    await expect(refused).rejects.toMatchObject({ reason: 'Required status check "ci" is expected.' });
    server.blockMerges(undefined);
    expect(await host.getPullRequest('demo', pullRequest.number)).toMatchObject({ status: 'open' });
  });

  it('comments on an issue through the issues API alone, which GitHub serves for issues and pull requests', async () => {
    const host = makeHost();
    await host.ensureBranch('demo', 'issue-comment', 'main');
    server.commitFiles('octo/demo', 'issue-comment', { 'note.txt': 'note\n' });
    const { pullRequest } = await host.openPullRequest('demo', { head: 'issue-comment', base: 'main', title: 'Note' });
    const before = server.requests.length;

    await host.commentOnIssue('demo', pullRequest.number, 'DSF planned 3 tasks');

    expect(server.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([`POST /repos/octo/demo/issues/${pullRequest.number}/comments`]);
    expect((await host.getPullRequest('demo', pullRequest.number)).comments.map((c) => c.body)).toContain('DSF planned 3 tasks');
  });

  it('maps 404s to the port errors', async () => {
    const host = makeHost();

    await expect(host.getRepository('nobody/nothing')).rejects.toBeInstanceOf(RepoNotFoundError);
    await expect(host.readFile('nothing', 'main', 'README.md')).rejects.toBeInstanceOf(RepoNotFoundError);
    await expect(host.branchHead('demo', 'no-such-branch')).rejects.toBeInstanceOf(BranchNotFoundError);
    await expect(host.readFile('demo', 'no-such-branch', 'README.md')).rejects.toBeInstanceOf(BranchNotFoundError);
    await expect(host.getPullRequest('demo', 4242)).rejects.toBeInstanceOf(PullRequestNotFoundError);
    await expect(host.getPullRequest('nothing', 1)).rejects.toBeInstanceOf(RepoNotFoundError);
    expect(await host.readFile('demo', 'main', 'README.md')).toBe('# demo\n');
  });

  it('rebuilds the conflicted files GitHub does not report, with markers labelled by branch', async () => {
    const host = makeHost();
    const [ours, theirs] = ['labels/ours', 'labels/theirs'];
    await host.ensureBranch('demo', 'labels/start', 'main');
    server.commitFiles('octo/demo', 'labels/start', { 'x.txt': 'one\ntwo\n' });
    await host.ensureBranch('demo', ours, 'labels/start');
    await host.ensureBranch('demo', theirs, 'labels/start');
    server.commitFiles('octo/demo', ours, { 'x.txt': 'one\nfeature\n', 'only-ours.txt': '1\n' });
    server.commitFiles('octo/demo', theirs, { 'x.txt': 'one\ntask\n', 'only-theirs.txt': '2\n' });

    const result = await host.integrate('demo', { source: theirs, target: ours });

    expect(result).toEqual({
      kind: 'conflict',
      paths: ['x.txt'],
      files: [{ path: 'x.txt', content: 'one\n<<<<<<< labels/ours\nfeature\n=======\ntask\n>>>>>>> labels/theirs\n' }],
    });
  });

  it('reports every path both sides changed, without files, when no line conflicts explain the refusal', async () => {
    // The fake refuses any merge where both sides changed one file; GitHub would merge these, but renames and binary files end up here alike.
    const host = makeHost();
    await host.ensureBranch('demo', 'fallback/start', 'main');
    server.commitFiles('octo/demo', 'fallback/start', { 'y.txt': 'a\nb\nc\nd\n' });
    await host.ensureBranch('demo', 'fallback/ours', 'fallback/start');
    await host.ensureBranch('demo', 'fallback/theirs', 'fallback/start');
    server.commitFiles('octo/demo', 'fallback/ours', { 'y.txt': 'A\nb\nc\nd\n' });
    server.commitFiles('octo/demo', 'fallback/theirs', { 'y.txt': 'a\nb\nc\nD\n' });

    expect(await host.integrate('demo', { source: 'fallback/theirs', target: 'fallback/ours' })).toEqual({ kind: 'conflict', paths: ['y.txt'], files: [] });
  });
});

describe('mergeText', () => {
  const labels = { ours: 'ours', theirs: 'theirs' };

  it('takes changes to separate parts of a file from both sides', () => {
    expect(mergeText('a\nb\nc\nd\n', 'A\nb\nc\nd\n', 'a\nb\nc\nD\nE\n', labels)).toEqual({ clean: true, content: 'A\nb\nc\nD\nE\n' });
  });

  it('takes a change made identically on both sides once', () => {
    expect(mergeText('a\nb\n', 'a\nB\n', 'a\nB\n', labels)).toEqual({ clean: true, content: 'a\nB\n' });
  });

  it('marks changes to the same or adjacent lines as a conflict', () => {
    expect(mergeText('a\nb\nc\n', 'a\nB\nc\n', 'a\nb\nC\n', labels)).toEqual({
      clean: false,
      content: 'a\n<<<<<<< ours\nB\nc\n=======\nb\nC\n>>>>>>> theirs\n',
    });
  });

  it('ends every side of a conflict with a newline', () => {
    expect(mergeText('', 'x', 'y', labels)).toEqual({ clean: false, content: '<<<<<<< ours\nx\n=======\ny\n>>>>>>> theirs\n' });
  });
});
