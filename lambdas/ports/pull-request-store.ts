import type { PullRequest, PullRequestChanges, PullRequestComment } from './git-host.js';

export interface PullRequestDraft {
  readonly repo: string;
  readonly head: string;
  readonly base: string;
  readonly title: string;
  readonly body: string;
}

/**
 * Where the local git host keeps its pull requests (GitHub keeps its own).
 *
 * Guarantees every implementation keeps (test/contract/pull-request-store.contract.ts):
 * - numbers are per repository, positive and never reused; they increase, with gaps
 *   allowed (a creation that loses a race burns its number, as issues do on GitHub);
 * - at most one open pull request per (repo, head, base), also under concurrent opens;
 * - status moves only open → merged and open → closed, each conditional on being open.
 */
export interface PullRequestStore {
  /** Creates a pull request, or updates the title and body of the open one for the same head and base. */
  openOrUpdate(draft: PullRequestDraft): Promise<{ pullRequest: PullRequest; created: boolean }>;
  get(repo: string, number: number): Promise<PullRequest | undefined>;
  /** PullRequestNotFoundError if it does not exist. */
  update(repo: string, number: number, changes: PullRequestChanges): Promise<PullRequest>;
  /** PullRequestNotFoundError if it does not exist. */
  addComment(repo: string, number: number, body: string): Promise<PullRequestComment>;
  /** PullRequestNotFoundError, or PullRequestNotOpenError unless it is open. */
  markMerged(repo: string, number: number, mergeCommit: string): Promise<PullRequest>;
  /** PullRequestNotFoundError, or PullRequestNotOpenError if merged; a closed one is returned as is. */
  markClosed(repo: string, number: number): Promise<PullRequest>;
}
