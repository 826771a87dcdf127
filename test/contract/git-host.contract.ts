import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BranchNotFoundError,
  MergeConflictError,
  PullRequestNotFoundError,
  PullRequestNotOpenError,
  RepoNotFoundError,
  type GitHost,
} from '../../lambdas/ports/git-host.js';

export interface GitHostUnderTest {
  readonly host: GitHost;
  /** A repository whose default branch `baseBranch` has at least one commit. The suite never moves `baseBranch`. */
  readonly repo: string;
  readonly baseBranch: string;
  /**
   * Puts one commit with these files on top of `branch`, as a push by someone
   * else would (outside the port: locally plumbing on the bare repository, on
   * GitHub the contents API or a workspace).
   */
  commitFiles(branch: string, files: Record<string, string>, message?: string): Promise<string>;
}

/**
 * The one behavioural contract of GitHost: the local host runs it against real
 * bare repositories, the GitHub host against a scratch repository. Every test
 * makes its own uniquely named branches off `baseBranch`, so one repository can
 * serve the whole run.
 */
export function describeGitHostContract(name: string, make: () => Promise<GitHostUnderTest>): void {
  describe(`GitHost contract: ${name}`, () => {
    let host: GitHost;
    let repo: string;
    let baseBranch: string;
    let commitFiles: GitHostUnderTest['commitFiles'];
    const run = randomBytes(4).toString('hex');
    let counter = 0;
    /** A fresh branch name for this run. */
    const fresh = (label: string) => `contract/${run}/${label}-${counter++}`;

    beforeEach(async () => {
      ({ host, repo, baseBranch, commitFiles } = await make());
    });

    /** A new branch off `from` (default: the base branch), with a commit of `files` if given. */
    async function branch(label: string, files?: Record<string, string>, from = baseBranch): Promise<string> {
      const name = fresh(label);
      await host.ensureBranch(repo, name, from);
      if (files) await commitFiles(name, files, `${label}: ${Object.keys(files).join(', ')}`);
      return name;
    }

    /** Two branches off a common start that both change line two of shared.txt (and each one file of their own). */
    async function conflictingPair() {
      const start = await branch('start', { 'shared.txt': 'one\ntwo\nthree\n', 'other.txt': 'a\nb\n' });
      const ours = await branch('ours', { 'shared.txt': 'one\nTWO-OURS\nthree\n', 'other.txt': 'a\nB-OURS\n', 'ours.txt': 'ours\n' }, start);
      const theirs = await branch('theirs', { 'shared.txt': 'one\nTWO-THEIRS\nthree\n', 'other.txt': 'a\nB-THEIRS\n', 'theirs.txt': 'theirs\n' }, start);
      return { start, ours, theirs };
    }

    describe('repositories and branches', () => {
      it('describes the repository and lists its branches', async () => {
        const made = await branch('listed');

        expect(await host.getRepository(repo)).toEqual({ name: repo, defaultBranch: baseBranch });
        const branches = await host.listBranches(repo);
        expect(branches).toEqual(expect.arrayContaining([baseBranch, made]));
      });

      it('creates a branch at the head of another, and leaves an existing one where it is', async () => {
        const source = await branch('source', { 'a.txt': 'a\n' });
        const sourceHead = await host.branchHead(repo, source);
        const target = fresh('target');

        const first = await host.ensureBranch(repo, target, source);
        await commitFiles(source, { 'b.txt': 'b\n' });
        const second = await host.ensureBranch(repo, target, source);

        expect(first).toEqual({ commit: sourceHead, created: true });
        expect(second).toEqual({ commit: sourceHead, created: false });
        expect(await host.branchHead(repo, target)).toBe(sourceHead);
      });

      it('refuses to create a branch from a branch that does not exist', async () => {
        const target = fresh('orphan');

        await expect(host.ensureBranch(repo, target, fresh('missing'))).rejects.toBeInstanceOf(BranchNotFoundError);
        await expect(host.branchHead(repo, target)).rejects.toBeInstanceOf(BranchNotFoundError);
      });

      it('reads files at a branch or a commit, and nothing for a missing path', async () => {
        const made = await branch('files', { 'docs/guide.md': 'first\n' });
        const firstCommit = await host.branchHead(repo, made);
        await commitFiles(made, { 'docs/guide.md': 'second\n' });

        expect(await host.readFile(repo, made, 'docs/guide.md')).toBe('second\n');
        expect(await host.readFile(repo, firstCommit, 'docs/guide.md')).toBe('first\n');
        expect(await host.readFile(repo, made, 'docs/nothing.md')).toBeUndefined();
        await expect(host.readFile(repo, fresh('missing'), 'docs/guide.md')).rejects.toBeInstanceOf(BranchNotFoundError);
      });

      it.each([
        ['getRepository', (h: GitHost, r: string) => h.getRepository(r)],
        ['listBranches', (h: GitHost, r: string) => h.listBranches(r)],
        ['branchHead', (h: GitHost, r: string) => h.branchHead(r, 'main')],
        ['ensureBranch', (h: GitHost, r: string) => h.ensureBranch(r, 'x', 'main')],
        ['integrate', (h: GitHost, r: string) => h.integrate(r, { source: 'x', target: 'main' })],
        ['openPullRequest', (h: GitHost, r: string) => h.openPullRequest(r, { head: 'x', base: 'main', title: 't' })],
        ['getPullRequest', (h: GitHost, r: string) => h.getPullRequest(r, 1)],
      ])('reports an unknown repository from %s', async (_name, call) => {
        await expect(call(host, `missing-${run}`)).rejects.toBeInstanceOf(RepoNotFoundError);
      });
    });

    describe('integrate', () => {
      it('merges with a merge commit whose parents are the target and the source, holding both changes', async () => {
        const target = await branch('target', { 'target.txt': 'from target\n' });
        const source = await branch('source', { 'source.txt': 'from source\n' });
        const [targetHead, sourceHead] = [await host.branchHead(repo, target), await host.branchHead(repo, source)];

        const result = await host.integrate(repo, { source, target, message: 'Integrate the source task' });

        expect(result.kind).toBe('merged');
        const commit = result.kind === 'merged' ? result.commit : '';
        expect(await host.branchHead(repo, target)).toBe(commit);
        const info = await host.getCommit(repo, commit);
        expect(info.parents).toEqual([targetHead, sourceHead]);
        expect(info.message).toMatch(/^Integrate the source task/);
        expect(await host.readFile(repo, target, 'target.txt')).toBe('from target\n');
        expect(await host.readFile(repo, target, 'source.txt')).toBe('from source\n');
        expect(await host.branchHead(repo, source)).toBe(sourceHead);
      });

      it('makes a merge commit even when the target could fast-forward', async () => {
        const target = await branch('target');
        const source = await branch('source', { 'ahead.txt': 'ahead\n' }, target);
        const targetHead = await host.branchHead(repo, target);

        const result = await host.integrate(repo, { source, target });

        expect(result.kind).toBe('merged');
        const info = await host.getCommit(repo, await host.branchHead(repo, target));
        expect(info.parents).toEqual([targetHead, await host.branchHead(repo, source)]);
        expect(await host.readFile(repo, target, 'ahead.txt')).toBe('ahead\n');
      });

      it('reports up-to-date when the source is already in the target, and changes nothing', async () => {
        const target = await branch('target', { 't.txt': 't\n' });
        const source = await branch('source', { 's.txt': 's\n' });
        await host.integrate(repo, { source, target });
        const merged = await host.branchHead(repo, target);
        const behind = await branch('behind', undefined, target);

        expect(await host.integrate(repo, { source, target })).toEqual({ kind: 'up-to-date', commit: merged });
        expect(await host.integrate(repo, { source: behind, target })).toEqual({ kind: 'up-to-date', commit: merged });
        expect(await host.branchHead(repo, target)).toBe(merged);
      });

      it('reports a conflict with the paths and the marked-up files, leaving both branches untouched', async () => {
        const { ours, theirs } = await conflictingPair();
        const [oursHead, theirsHead] = [await host.branchHead(repo, ours), await host.branchHead(repo, theirs)];

        const result = await host.integrate(repo, { source: theirs, target: ours });

        expect(result.kind).toBe('conflict');
        if (result.kind !== 'conflict') return;
        expect(result.paths).toEqual(['other.txt', 'shared.txt']);
        const shared = result.files.find((file) => file.path === 'shared.txt')?.content ?? '';
        expect(shared).toMatch(/^<<<<<<< .*\nTWO-OURS\n=======\nTWO-THEIRS\n>>>>>>> .*$/m);
        expect(shared.startsWith('one\n')).toBe(true);
        expect(shared.endsWith('three\n')).toBe(true);
        expect(result.files.map((file) => file.path).sort()).toEqual(['other.txt', 'shared.txt']);
        expect(await host.branchHead(repo, ours)).toBe(oursHead);
        expect(await host.branchHead(repo, theirs)).toBe(theirsHead);
        expect(await host.readFile(repo, ours, 'theirs.txt')).toBeUndefined();
      });

      it('reports a missing source or target and changes nothing', async () => {
        const target = await branch('target', { 't.txt': 't\n' });
        const head = await host.branchHead(repo, target);

        await expect(host.integrate(repo, { source: fresh('missing'), target })).rejects.toBeInstanceOf(BranchNotFoundError);
        await expect(host.integrate(repo, { source: target, target: fresh('missing') })).rejects.toBeInstanceOf(BranchNotFoundError);
        expect(await host.branchHead(repo, target)).toBe(head);
      });
    });

    describe('pull requests', () => {
      async function openOne(label = 'pr') {
        const base = await branch(`${label}-base`);
        const head = await branch(`${label}-head`, { [`${label}.txt`]: `${label}\n` }, base);
        const { pullRequest, created } = await host.openPullRequest(repo, { head, base, title: `Add ${label}`, body: 'Why and what.' });
        return { base, head, pullRequest, created };
      }

      it('opens a pull request', async () => {
        const { base, head, pullRequest, created } = await openOne();

        expect(created).toBe(true);
        expect(pullRequest).toMatchObject({ repo, status: 'open', head, base, title: 'Add pr', body: 'Why and what.', comments: [] });
        expect(pullRequest.number).toBeGreaterThan(0);
        expect(await host.getPullRequest(repo, pullRequest.number)).toEqual(pullRequest);
      });

      it('updates the open pull request for the same head and base instead of opening another', async () => {
        const { base, head, pullRequest } = await openOne();

        const again = await host.openPullRequest(repo, { head, base, title: 'Add pr, take two', body: 'Now with tests.' });

        expect(again.created).toBe(false);
        expect(again.pullRequest).toMatchObject({ number: pullRequest.number, title: 'Add pr, take two', body: 'Now with tests.', status: 'open' });
        expect(await host.getPullRequest(repo, pullRequest.number)).toMatchObject({ title: 'Add pr, take two' });
      });

      it('opens a second pull request for the same head into another base', async () => {
        const { head, pullRequest } = await openOne();
        const otherBase = await branch('other-base');

        const other = await host.openPullRequest(repo, { head, base: otherBase, title: 'Same work, other base' });

        expect(other.created).toBe(true);
        expect(other.pullRequest.number).not.toBe(pullRequest.number);
        expect(other.pullRequest.body).toBe('');
      });

      it('refuses a pull request whose head or base does not exist', async () => {
        const base = await branch('base');

        await expect(host.openPullRequest(repo, { head: fresh('missing'), base, title: 't' })).rejects.toBeInstanceOf(BranchNotFoundError);
        await expect(host.openPullRequest(repo, { head: base, base: fresh('missing'), title: 't' })).rejects.toBeInstanceOf(BranchNotFoundError);
      });

      it('updates the title and body separately', async () => {
        const { pullRequest } = await openOne();

        const retitled = await host.updatePullRequest(repo, pullRequest.number, { title: 'Better title' });
        const redescribed = await host.updatePullRequest(repo, pullRequest.number, { body: 'Better body' });

        expect(retitled).toMatchObject({ title: 'Better title', body: 'Why and what.' });
        expect(redescribed).toMatchObject({ title: 'Better title', body: 'Better body' });
        expect(await host.getPullRequest(repo, pullRequest.number)).toMatchObject({ title: 'Better title', body: 'Better body' });
      });

      it('keeps comments in order', async () => {
        const { pullRequest } = await openOne();

        const first = await host.commentOnPullRequest(repo, pullRequest.number, 'Gate report: all green.');
        const second = await host.commentOnPullRequest(repo, pullRequest.number, 'Coverage 91%.');

        expect(first.id).not.toBe(second.id);
        const stored = await host.getPullRequest(repo, pullRequest.number);
        expect(stored.comments.map((comment) => comment.body)).toEqual(['Gate report: all green.', 'Coverage 91%.']);
      });

      it('merges with a merge commit into the base and records it', async () => {
        const { base, head, pullRequest } = await openOne();
        const [baseHead, headHead] = [await host.branchHead(repo, base), await host.branchHead(repo, head)];

        const merged = await host.mergePullRequest(repo, pullRequest.number);

        expect(await host.branchHead(repo, base)).toBe(merged.commit);
        expect((await host.getCommit(repo, merged.commit)).parents).toEqual([baseHead, headHead]);
        expect(await host.readFile(repo, base, 'pr.txt')).toBe('pr\n');
        expect(merged.pullRequest).toMatchObject({ number: pullRequest.number, status: 'merged', mergeCommit: merged.commit });
        expect(await host.getPullRequest(repo, pullRequest.number)).toMatchObject({ status: 'merged', mergeCommit: merged.commit });
        await expect(host.mergePullRequest(repo, pullRequest.number)).rejects.toBeInstanceOf(PullRequestNotOpenError);
      });

      it('merges when the base has moved without conflict', async () => {
        const { base, pullRequest } = await openOne();
        await commitFiles(base, { 'elsewhere.txt': 'moved\n' });

        const merged = await host.mergePullRequest(repo, pullRequest.number);

        expect(await host.branchHead(repo, base)).toBe(merged.commit);
        expect(await host.readFile(repo, base, 'elsewhere.txt')).toBe('moved\n');
        expect(await host.readFile(repo, base, 'pr.txt')).toBe('pr\n');
      });

      it('refuses to merge when the base has moved and the merge would conflict, and the pull request stays open', async () => {
        const { ours, theirs } = await conflictingPair();
        const { pullRequest } = await host.openPullRequest(repo, { head: theirs, base: ours, title: 'Theirs into ours' });
        const baseHead = await host.branchHead(repo, ours);

        const refused = host.mergePullRequest(repo, pullRequest.number);

        await expect(refused).rejects.toBeInstanceOf(MergeConflictError);
        await expect(refused).rejects.toMatchObject({ paths: ['other.txt', 'shared.txt'] });
        expect(await host.getPullRequest(repo, pullRequest.number)).toMatchObject({ status: 'open' });
        expect(await host.branchHead(repo, ours)).toBe(baseHead);
      });

      it('closes without merging; closing again changes nothing; a closed one cannot be merged', async () => {
        const { base, head, pullRequest } = await openOne();
        const baseHead = await host.branchHead(repo, base);

        const closed = await host.closePullRequest(repo, pullRequest.number);
        const again = await host.closePullRequest(repo, pullRequest.number);

        expect(closed).toMatchObject({ number: pullRequest.number, status: 'closed' });
        expect(again.status).toBe('closed');
        await expect(host.mergePullRequest(repo, pullRequest.number)).rejects.toBeInstanceOf(PullRequestNotOpenError);
        expect(await host.branchHead(repo, base)).toBe(baseHead);
        const reopened = await host.openPullRequest(repo, { head, base, title: 'Try again' });
        expect(reopened.created).toBe(true);
        expect(reopened.pullRequest.number).not.toBe(pullRequest.number);
      });

      it.each([
        ['getPullRequest', (h: GitHost, r: string, n: number) => h.getPullRequest(r, n)],
        ['updatePullRequest', (h: GitHost, r: string, n: number) => h.updatePullRequest(r, n, { title: 'x' })],
        ['commentOnPullRequest', (h: GitHost, r: string, n: number) => h.commentOnPullRequest(r, n, 'hello')],
        ['mergePullRequest', (h: GitHost, r: string, n: number) => h.mergePullRequest(r, n)],
        ['closePullRequest', (h: GitHost, r: string, n: number) => h.closePullRequest(r, n)],
      ])('reports an unknown pull request from %s', async (_name, call) => {
        await expect(call(host, repo, 987_654)).rejects.toBeInstanceOf(PullRequestNotFoundError);
      });
    });
  });
}
