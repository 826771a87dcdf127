import type { Clock, IdSource } from '../../ports/clock.js';
import {
  PullRequestNotFoundError,
  PullRequestNotOpenError,
  type PullRequest,
  type PullRequestChanges,
  type PullRequestComment,
} from '../../ports/git-host.js';
import type { PullRequestDraft, PullRequestStore } from '../../ports/pull-request-store.js';

/**
 * In-memory PullRequestStore for unit tests. Each method reads, checks and
 * writes without awaiting in between, which makes it atomic on Node's single
 * thread; values are cloned in and out.
 */
export class MemoryPullRequestStore implements PullRequestStore {
  private readonly byRepo = new Map<string, { last: number; pulls: Map<number, PullRequest> }>();

  constructor(private readonly deps: { clock: Clock; ids: IdSource }) {}

  async openOrUpdate(draft: PullRequestDraft): Promise<{ pullRequest: PullRequest; created: boolean }> {
    const repo = this.repo(draft.repo);
    const now = this.now();
    const open = [...repo.pulls.values()].find((pr) => pr.status === 'open' && pr.head === draft.head && pr.base === draft.base);
    if (open) {
      Object.assign(open, { title: draft.title, body: draft.body, updatedAt: now });
      return { pullRequest: structuredClone(open), created: false };
    }
    repo.last += 1;
    const pullRequest: PullRequest = { ...draft, number: repo.last, status: 'open', comments: [], createdAt: now, updatedAt: now };
    repo.pulls.set(pullRequest.number, pullRequest);
    return { pullRequest: structuredClone(pullRequest), created: true };
  }

  async get(repo: string, number: number): Promise<PullRequest | undefined> {
    const found = this.byRepo.get(repo)?.pulls.get(number);
    return found ? structuredClone(found) : undefined;
  }

  async update(repo: string, number: number, changes: PullRequestChanges): Promise<PullRequest> {
    const pr = this.require(repo, number);
    Object.assign(pr, {
      ...(changes.title === undefined ? {} : { title: changes.title }),
      ...(changes.body === undefined ? {} : { body: changes.body }),
      updatedAt: this.now(),
    });
    return structuredClone(pr);
  }

  async addComment(repo: string, number: number, body: string): Promise<PullRequestComment> {
    const pr = this.require(repo, number);
    const comment: PullRequestComment = { id: this.deps.ids.ulid(), body, createdAt: this.now() };
    pr.comments.push(comment);
    pr.updatedAt = comment.createdAt;
    return structuredClone(comment);
  }

  async markMerged(repo: string, number: number, mergeCommit: string): Promise<PullRequest> {
    const pr = this.require(repo, number);
    if (pr.status !== 'open') throw new PullRequestNotOpenError(repo, number, pr.status);
    const now = this.now();
    Object.assign(pr, { status: 'merged', mergeCommit, mergedAt: now, updatedAt: now });
    return structuredClone(pr);
  }

  async markClosed(repo: string, number: number): Promise<PullRequest> {
    const pr = this.require(repo, number);
    if (pr.status === 'merged') throw new PullRequestNotOpenError(repo, number, pr.status);
    if (pr.status === 'open') {
      const now = this.now();
      Object.assign(pr, { status: 'closed', closedAt: now, updatedAt: now });
    }
    return structuredClone(pr);
  }

  private repo(name: string) {
    let repo = this.byRepo.get(name);
    if (!repo) this.byRepo.set(name, (repo = { last: 0, pulls: new Map() }));
    return repo;
  }

  private require(repo: string, number: number): PullRequest {
    const pr = this.byRepo.get(repo)?.pulls.get(number);
    if (!pr) throw new PullRequestNotFoundError(repo, number);
    return pr;
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
