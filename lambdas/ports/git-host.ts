import { z } from 'zod';
import { DomainError } from '../core/errors.js';
import { branchNameSchema, repoNameSchema } from '../core/feature.js';

/**
 * The git host DSF works against: GitHub (Octokit) on AWS, bare repositories
 * under the data directory locally. Every implementation runs the contract in
 * test/contract/git-host.contract.ts.
 *
 * Repositories are named as in `Feature.repo` ("demo" or "owner/name"); branches
 * are short names ("main", "dsf/feat_…"), never `refs/heads/…`.
 */
export interface GitHost {
  getRepository(repo: string): Promise<Repository>;
  /** Short branch names, sorted. */
  listBranches(repo: string): Promise<string[]>;
  /**
   * Creates `branch` at the head of `from` unless it exists. An existing branch is
   * left where it is (`created: false`), even if `from` has moved since.
   */
  ensureBranch(repo: string, branch: string, from: string): Promise<EnsuredBranch>;
  /** The commit a branch points at. */
  branchHead(repo: string, branch: string): Promise<string>;
  /** A file's text at a branch or commit; undefined when the path does not exist there. */
  readFile(repo: string, ref: string, path: string): Promise<string | undefined>;
  getCommit(repo: string, ref: string): Promise<CommitInfo>;
  /**
   * Three-way merges `source` into `target` with a merge commit (never a fast-forward,
   * like GitHub's merge API), moving `target` only if nobody moved it meanwhile.
   * On conflict nothing changes: both branches stay where they were.
   */
  integrate(repo: string, request: IntegrateRequest): Promise<IntegrationResult>;
  /**
   * Opens a pull request, idempotent by (head, base): while one is open for the
   * same pair, it is updated with the new title and body and returned (`created: false`).
   */
  openPullRequest(repo: string, input: NewPullRequest): Promise<OpenedPullRequest>;
  updatePullRequest(repo: string, number: number, changes: PullRequestChanges): Promise<PullRequest>;
  getPullRequest(repo: string, number: number): Promise<PullRequest>;
  commentOnPullRequest(repo: string, number: number, body: string): Promise<PullRequestComment>;
  /**
   * Merges an open pull request into its base with a merge commit. Refused with
   * MergeConflictError when the base has moved and the merge would conflict (the
   * pull request stays open), PullRequestNotOpenError when it is not open.
   */
  mergePullRequest(repo: string, number: number, options?: { message?: string }): Promise<MergedPullRequest>;
  /** Closes without merging; closing a closed pull request is a no-op. */
  closePullRequest(repo: string, number: number): Promise<PullRequest>;
}

/**
 * Repositories DSF may work on. Locally they are imported (cloned bare) into the
 * data directory; GitHub cannot import, so this is a port of its own and the
 * GitHub host need not implement it.
 */
export interface RepositoryRegistry {
  /** Refuses unsafe names (InvalidRepositoryNameError), taken names (RepoAlreadyExistsError) and sources that are not git repositories (InvalidRepositorySourceError). */
  importRepository(name: string, source: string): Promise<RepositorySummary>;
  /** Sorted by name. */
  listRepositories(): Promise<RepositorySummary[]>;
}

export const commitShaSchema = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a full commit id');

export const repositorySchema = z.object({ name: repoNameSchema, defaultBranch: branchNameSchema });
export type Repository = z.infer<typeof repositorySchema>;

export const repositorySummarySchema = repositorySchema.extend({ branches: z.array(z.string()) });
export type RepositorySummary = z.infer<typeof repositorySummarySchema>;

export interface EnsuredBranch {
  readonly commit: string;
  readonly created: boolean;
}

export interface CommitInfo {
  readonly sha: string;
  /** In order: for a merge made by `integrate`, [target, source]. */
  readonly parents: string[];
  readonly message: string;
}

export const integrateRequestSchema = z.object({
  source: branchNameSchema,
  target: branchNameSchema,
  /** Merge commit message; defaults to `Merge branch '<source>' into <target>`. */
  message: z.string().min(1).max(10_000).optional(),
});
export type IntegrateRequest = z.infer<typeof integrateRequestSchema>;

export const conflictFileSchema = z.object({
  path: z.string(),
  /** The file as the merge left it: with `<<<<<<<`/`=======`/`>>>>>>>` markers for a content conflict. */
  content: z.string(),
});
export type ConflictFile = z.infer<typeof conflictFileSchema>;

/** What an integration did; it travels in task results, so it has a schema. */
export const integrationResultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('merged'), commit: commitShaSchema }),
  /** The source was already in the target: nothing to do. `commit` is the target's (unchanged) head. */
  z.object({ kind: z.literal('up-to-date'), commit: commitShaSchema }),
  z.object({
    kind: z.literal('conflict'),
    /** Every conflicted path, sorted. */
    paths: z.array(z.string()),
    /** The conflicted paths that exist in the merge result, with their content. */
    files: z.array(conflictFileSchema),
  }),
]);
export type IntegrationResult = z.infer<typeof integrationResultSchema>;

export const pullRequestStatuses = ['open', 'merged', 'closed'] as const;
export const pullRequestStatusSchema = z.enum(pullRequestStatuses);
export type PullRequestStatus = z.infer<typeof pullRequestStatusSchema>;

export const pullRequestCommentSchema = z.object({
  id: z.string().min(1),
  body: z.string(),
  createdAt: z.iso.datetime(),
});
export type PullRequestComment = z.infer<typeof pullRequestCommentSchema>;

const pullRequestTitleSchema = z.string().min(1).max(256);
const pullRequestBodySchema = z.string().max(65_536);

export const newPullRequestSchema = z.object({
  head: branchNameSchema,
  base: branchNameSchema,
  title: pullRequestTitleSchema,
  body: pullRequestBodySchema.default(''),
});
export type NewPullRequest = z.input<typeof newPullRequestSchema>;

export const pullRequestChangesSchema = z.object({ title: pullRequestTitleSchema.optional(), body: pullRequestBodySchema.optional() });
export type PullRequestChanges = z.infer<typeof pullRequestChangesSchema>;

export const pullRequestSchema = z.object({
  repo: repoNameSchema,
  number: z.number().int().positive(),
  status: pullRequestStatusSchema,
  head: branchNameSchema,
  base: branchNameSchema,
  title: z.string(),
  body: z.string(),
  comments: z.array(pullRequestCommentSchema),
  /** Set once merged. */
  mergeCommit: commitShaSchema.optional(),
  /** Where people look at it (GitHub's html_url); absent locally. */
  url: z.string().optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  mergedAt: z.iso.datetime().optional(),
  closedAt: z.iso.datetime().optional(),
});
export type PullRequest = z.infer<typeof pullRequestSchema>;

export interface OpenedPullRequest {
  readonly pullRequest: PullRequest;
  /** false when an open pull request for the same head and base was updated instead. */
  readonly created: boolean;
}

export interface MergedPullRequest {
  readonly commit: string;
  readonly pullRequest: PullRequest;
}

/** The lock name under which merges into one branch are serialized (see Lock). */
export const integrationLockName = (repo: string, branch: string): string => `merge#${repo}#${branch}`;

export class RepoNotFoundError extends DomainError {
  readonly code = 'repo_not_found';
  constructor(readonly repo: string) {
    super(`repository ${repo} does not exist`);
  }
}

export class RepoAlreadyExistsError extends DomainError {
  readonly code = 'repo_already_exists';
  constructor(readonly repo: string) {
    super(`repository ${repo} already exists`);
  }
}

export class InvalidRepositoryNameError extends DomainError {
  readonly code = 'invalid_repository_name';
  constructor(
    readonly repo: string,
    readonly reason: string,
  ) {
    super(`"${repo}" is not a usable repository name: ${reason}`);
  }
}

export class InvalidRepositorySourceError extends DomainError {
  readonly code = 'invalid_repository_source';
  constructor(
    readonly source: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${source} cannot be imported: ${reason}`, options);
  }
}

export class BranchNotFoundError extends DomainError {
  readonly code = 'branch_not_found';
  constructor(
    readonly repo: string,
    readonly branch: string,
  ) {
    super(`branch ${branch} does not exist in ${repo}`);
  }
}

export class InvalidBranchNameError extends DomainError {
  readonly code = 'invalid_branch_name';
  constructor(readonly branch: string) {
    super(`"${branch}" is not a valid branch name`);
  }
}

export class CommitNotFoundError extends DomainError {
  readonly code = 'commit_not_found';
  constructor(
    readonly repo: string,
    readonly ref: string,
  ) {
    super(`commit ${ref} does not exist in ${repo}`);
  }
}

export class PullRequestNotFoundError extends DomainError {
  readonly code = 'pull_request_not_found';
  constructor(
    readonly repo: string,
    readonly number: number,
  ) {
    super(`pull request #${number} does not exist in ${repo}`);
  }
}

export class PullRequestNotOpenError extends DomainError {
  readonly code = 'pull_request_not_open';
  constructor(
    readonly repo: string,
    readonly number: number,
    readonly status: PullRequestStatus,
  ) {
    super(`pull request #${number} in ${repo} is ${status}`);
  }
}

/** The host would not merge (GitHub: not mergeable, protected branch, failing required checks). */
export class MergeRefusedError extends DomainError {
  readonly code: string = 'merge_refused';
  constructor(
    readonly repo: string,
    readonly number: number,
    readonly reason: string,
  ) {
    super(`pull request #${number} in ${repo} cannot be merged: ${reason}`);
  }
}

/** The merge would conflict (typically: the base moved since the pull request was made). */
export class MergeConflictError extends MergeRefusedError {
  override readonly code: string = 'merge_conflict';
  constructor(
    repo: string,
    number: number,
    readonly paths: readonly string[],
  ) {
    super(repo, number, `it conflicts with its base in ${paths.join(', ')}`);
  }
}

/** Someone kept moving the branch between our read and our compare-and-swap; the caller may retry later. */
export class ConcurrentRefUpdateError extends DomainError {
  readonly code = 'concurrent_ref_update';
  constructor(
    readonly repo: string,
    readonly branch: string,
    readonly attempts: number,
  ) {
    super(`branch ${branch} of ${repo} kept moving; gave up after ${attempts} attempts`);
  }
}
