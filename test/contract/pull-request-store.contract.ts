import { beforeEach, describe, expect, it } from 'vitest';
import { PullRequestNotFoundError, PullRequestNotOpenError } from '../../lambdas/ports/git-host.js';
import type { PullRequestDraft, PullRequestStore } from '../../lambdas/ports/pull-request-store.js';
import type { ManualClock } from '../support/fixtures.js';

export interface PullRequestStoreUnderTest {
  store: PullRequestStore;
  clock: ManualClock;
}

const COMMIT = 'a'.repeat(40);

/** The one behavioural contract of PullRequestStore: in memory and on DynamoDB Local. */
export function describePullRequestStoreContract(name: string, make: () => Promise<PullRequestStoreUnderTest>): void {
  describe(`PullRequestStore contract: ${name}`, () => {
    let store: PullRequestStore;
    let clock: ManualClock;
    let counter = 0;
    let repo: string;
    const draft = (overrides: Partial<PullRequestDraft> = {}): PullRequestDraft => ({
      repo,
      head: `dsf/feat_${counter}`,
      base: 'main',
      title: 'Add a health endpoint',
      body: 'GET /health returns 200.',
      ...overrides,
    });

    beforeEach(async () => {
      ({ store, clock } = await make());
      repo = `repo-${counter++}`;
    });

    it('numbers pull requests from 1 per repository and stores what was opened', async () => {
      const first = await store.openOrUpdate(draft({ head: 'a' }));
      const second = await store.openOrUpdate(draft({ head: 'b' }));
      const elsewhere = await store.openOrUpdate(draft({ repo: `${repo}-other`, head: 'a' }));

      expect([first.pullRequest.number, second.pullRequest.number, elsewhere.pullRequest.number]).toEqual([1, 2, 1]);
      expect(first).toEqual({
        created: true,
        pullRequest: {
          repo,
          number: 1,
          status: 'open',
          head: 'a',
          base: 'main',
          title: 'Add a health endpoint',
          body: 'GET /health returns 200.',
          comments: [],
          createdAt: clock.now().toISOString(),
          updatedAt: clock.now().toISOString(),
        },
      });
      expect(await store.get(repo, 1)).toEqual(first.pullRequest);
      expect(await store.get(repo, 3)).toBeUndefined();
    });

    it('updates the open pull request of the same head and base instead of creating one', async () => {
      const first = await store.openOrUpdate(draft());
      clock.advance(1_000);

      const again = await store.openOrUpdate(draft({ title: 'Retitled', body: 'Rewritten' }));

      expect(again.created).toBe(false);
      expect(again.pullRequest).toMatchObject({ number: first.pullRequest.number, title: 'Retitled', body: 'Rewritten', updatedAt: clock.now().toISOString() });
      expect(await store.get(repo, first.pullRequest.number)).toEqual(again.pullRequest);
    });

    it('creates one pull request for concurrent opens of the same head and base', async () => {
      const results = await Promise.all([1, 2, 3, 4].map((i) => store.openOrUpdate(draft({ title: `take ${i}` }))));

      expect(new Set(results.map((r) => r.pullRequest.number)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it('appends comments in order, and updates title and body separately', async () => {
      const { pullRequest } = await store.openOrUpdate(draft());

      const first = await store.addComment(repo, pullRequest.number, 'one');
      const second = await store.addComment(repo, pullRequest.number, 'two');
      await store.update(repo, pullRequest.number, { title: 'New title' });
      const updated = await store.update(repo, pullRequest.number, { body: 'New body' });

      expect(first.id).not.toBe(second.id);
      expect(updated).toMatchObject({ title: 'New title', body: 'New body' });
      expect((await store.get(repo, pullRequest.number))?.comments).toEqual([first, second]);
    });

    it('merges an open pull request once, and then opens a new one for the same pair', async () => {
      const { pullRequest } = await store.openOrUpdate(draft());

      const merged = await store.markMerged(repo, pullRequest.number, COMMIT);

      expect(merged).toMatchObject({ status: 'merged', mergeCommit: COMMIT, mergedAt: clock.now().toISOString() });
      await expect(store.markMerged(repo, pullRequest.number, COMMIT)).rejects.toBeInstanceOf(PullRequestNotOpenError);
      await expect(store.markClosed(repo, pullRequest.number)).rejects.toBeInstanceOf(PullRequestNotOpenError);
      const next = await store.openOrUpdate(draft());
      expect(next).toMatchObject({ created: true, pullRequest: { number: pullRequest.number + 1 } });
    });

    it('closes an open pull request; closing again is a no-op; a closed one cannot be merged', async () => {
      const { pullRequest } = await store.openOrUpdate(draft());

      const closed = await store.markClosed(repo, pullRequest.number);
      const again = await store.markClosed(repo, pullRequest.number);

      expect(closed).toMatchObject({ status: 'closed', closedAt: clock.now().toISOString() });
      expect(again).toEqual(closed);
      await expect(store.markMerged(repo, pullRequest.number, COMMIT)).rejects.toBeInstanceOf(PullRequestNotOpenError);
    });

    it('lets exactly one of a concurrent merge and close win', async () => {
      const { pullRequest } = await store.openOrUpdate(draft());

      const results = await Promise.allSettled([store.markMerged(repo, pullRequest.number, COMMIT), store.markClosed(repo, pullRequest.number)]);

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const final = await store.get(repo, pullRequest.number);
      expect(['merged', 'closed']).toContain(final?.status);
    });

    it.each([
      ['update', (s: PullRequestStore, r: string) => s.update(r, 42, { title: 'x' })],
      ['addComment', (s: PullRequestStore, r: string) => s.addComment(r, 42, 'x')],
      ['markMerged', (s: PullRequestStore, r: string) => s.markMerged(r, 42, COMMIT)],
      ['markClosed', (s: PullRequestStore, r: string) => s.markClosed(r, 42)],
    ])('reports an unknown pull request from %s', async (_name, call) => {
      await expect(call(store, repo)).rejects.toBeInstanceOf(PullRequestNotFoundError);
    });
  });
}
