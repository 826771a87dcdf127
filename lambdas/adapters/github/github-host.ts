import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/core';
import { z } from 'zod';
import {
  BranchNotFoundError,
  CommitNotFoundError,
  MergeConflictError,
  MergeRefusedError,
  PullRequestNotFoundError,
  PullRequestNotOpenError,
  RepoNotFoundError,
  commitShaSchema,
  integrateRequestSchema,
  newPullRequestSchema,
  pullRequestChangesSchema,
  type CommitInfo,
  type ConflictFile,
  type EnsuredBranch,
  type GitHost,
  type IntegrateRequest,
  type IntegrationResult,
  type MergedPullRequest,
  type NewPullRequest,
  type OpenedPullRequest,
  type PullRequest,
  type PullRequestChanges,
  type PullRequestComment,
  type Repository,
} from '../../ports/git-host.js';
import { redactingLog, type OctokitLog } from './redacting-log.js';
import { mergeText } from './three-way-text-merge.js';

export type GitHubAuth =
  | { readonly kind: 'token'; readonly token: string }
  /** Installation tokens are minted and cached until shortly before expiry by @octokit/auth-app. */
  | { readonly kind: 'app'; readonly appId: number | string; readonly privateKey: string; readonly installationId: number };

export interface GitHubHostOptions {
  readonly auth: GitHubAuth;
  /** Owner for repositories named without one ("demo" → `${owner}/demo`). */
  readonly owner: string;
  /** Default https://api.github.com; GitHub Enterprise or a fake in tests. */
  readonly baseUrl?: string;
  readonly log?: OctokitLog;
  /** How often a rate-limited request is retried before giving up (default 2). */
  readonly rateLimitRetries?: number;
  /** Retries of 5xx responses by plugin-retry (default 3). */
  readonly serverErrorRetries?: number;
  /** Milliseconds per second of retry-after (default 1000); tests shrink it. */
  readonly retryAfterBaseValue?: number;
  /**
   * Replace plugin-throttling's pacing of writes (one a second) and of writes that
   * notify people (one every three seconds), as GitHub recommends; tests only.
   */
  readonly limiters?: { readonly write?: ThrottlingOptions['write']; readonly notifications?: ThrottlingOptions['notifications'] };
}

// @octokit/core with route strings, not @octokit/rest: rest's `octokit.rest.*` methods come from
// plugin-rest-endpoint-methods, a table of every REST endpoint (~80 KB minified) in each bundle that uses the host.
const ThrottledOctokit = Octokit.plugin(throttling, retry);
type Client = InstanceType<typeof ThrottledOctokit>;

/** The `next` link of a paginated response (RFC 8288), as plugin-paginate-rest follows it. */
const nextPageUrl = (link: string | undefined): string | undefined => /<([^<>]+)>;\s*rel="next"/.exec(link ?? '')?.[1];

const requestErrorSchema = z.object({ status: z.number(), message: z.string() });
const statusOf = (error: unknown): number | undefined => requestErrorSchema.safeParse(error).data?.status;

const repoSchema = z.object({ default_branch: z.string() });
const refSchema = z.object({ object: z.object({ sha: commitShaSchema }) });
const branchSchema = z.object({ name: z.string() });
const contentSchema = z.object({ type: z.literal('file'), encoding: z.literal('base64'), content: z.string() });
const commitSchema = z.object({ sha: commitShaSchema, commit: z.object({ message: z.string() }), parents: z.array(z.object({ sha: commitShaSchema })) });
const compareSchema = z.object({ merge_base_commit: z.object({ sha: commitShaSchema }), files: z.array(z.object({ filename: z.string() })).default([]) });

interface MergeSide {
  readonly branch: string;
  readonly commit: string;
}
const pullSchema = z.object({
  number: z.number().int().positive(),
  state: z.enum(['open', 'closed']),
  title: z.string(),
  body: z.string().nullable(),
  html_url: z.string(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  closed_at: z.iso.datetime().nullable(),
  merged_at: z.iso.datetime().nullable(),
  merge_commit_sha: commitShaSchema.nullable(),
  head: z.object({ ref: z.string() }),
  base: z.object({ ref: z.string() }),
  mergeable_state: z.string().nullish().transform((state) => state ?? undefined),
});
type Pull = z.infer<typeof pullSchema>;
const commentSchema = z.object({ id: z.number(), body: z.string().default(''), created_at: z.iso.datetime() });
const mergeResultSchema = z.object({ sha: commitShaSchema });
const accessTokenSchema = z.object({ token: z.string().min(1) });

/**
 * GitHost on the GitHub REST API. Throttled and retried as GitHub recommends:
 * plugin-throttling spaces writes and honours retry-after on (secondary) rate
 * limits a bounded number of times; plugin-retry retries 5xx.
 *
 * GitHub's merge API says only "Merge conflict"; the conflicted files are
 * reconstructed from the compare and contents APIs (see `conflicts`).
 */
export class GitHubHost implements GitHost {
  private readonly octokit: Client;
  private readonly owner: string;

  constructor(options: GitHubHostOptions) {
    this.owner = options.owner;
    const log = redactingLog(options.log ?? { debug: () => {}, info: () => {}, warn: console.warn, error: console.error });
    const rateLimitRetries = options.rateLimitRetries ?? 2;
    const onLimit = (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      const retrying = retryCount < rateLimitRetries;
      log.warn(`GitHub rate limit on ${request.method} ${request.url}: ${retrying ? `retrying in ${retryAfter}s` : 'giving up'}`);
      return retrying;
    };
    const auth =
      options.auth.kind === 'token'
        ? { auth: options.auth.token }
        : {
            authStrategy: createAppAuth,
            auth: { appId: options.auth.appId, privateKey: options.auth.privateKey, installationId: options.auth.installationId },
          };
    this.octokit = new ThrottledOctokit({
      ...auth,
      baseUrl: options.baseUrl,
      userAgent: 'dsf-github-host',
      log,
      throttle: {
        onRateLimit: onLimit,
        onSecondaryRateLimit: onLimit,
        ...(options.retryAfterBaseValue === undefined ? {} : { retryAfterBaseValue: options.retryAfterBaseValue }),
        ...(options.limiters?.write === undefined ? {} : { write: options.limiters.write }),
        ...(options.limiters?.notifications === undefined ? {} : { notifications: options.limiters.notifications }),
      },
      retry: {
        retries: options.serverErrorRetries ?? 3,
        ...(options.retryAfterBaseValue === undefined ? {} : { retryAfterBaseValue: options.retryAfterBaseValue }),
      },
    });
  }

  /** `owner/name` of a repository named as in Feature.repo: what a git URL on GitHub ends with. */
  repoFullName(repo: string): string {
    const { owner, name } = this.split(repo);
    return `${owner}/${name}`;
  }

  /**
   * A token git may use for this host's repositories: the installation token
   * (minted and cached until shortly before expiry by @octokit/auth-app), or the
   * configured token. For GitHubWorkspaceProvider; never logged.
   */
  async accessToken(): Promise<string> {
    // createTokenAuth ignores the argument; createAppAuth mints for the configured installation.
    return accessTokenSchema.parse(await this.octokit.auth({ type: 'installation' })).token;
  }

  async getRepository(repo: string): Promise<Repository> {
    const data = await this.call(repo, () => this.octokit.request('GET /repos/{owner}/{repo}', this.at(repo)), () => new RepoNotFoundError(repo));
    return { name: repo, defaultBranch: repoSchema.parse(data).default_branch };
  }

  async listBranches(repo: string): Promise<string[]> {
    const branches = await this.call(
      repo,
      () => this.paginate('GET /repos/{owner}/{repo}/branches', this.at(repo)),
      () => new RepoNotFoundError(repo),
    );
    return z
      .array(branchSchema)
      .parse(branches)
      .map((branch) => branch.name)
      .sort();
  }

  async ensureBranch(repo: string, branch: string, from: string): Promise<EnsuredBranch> {
    const existing = await this.headIfExists(repo, branch);
    if (existing) return { commit: existing, created: false };
    const commit = await this.branchHead(repo, from);
    try {
      await this.octokit.request('POST /repos/{owner}/{repo}/git/refs', { ...this.at(repo), ref: `refs/heads/${branch}`, sha: commit });
      return { commit, created: true };
    } catch (error) {
      // Someone created it between our read and our write: theirs stands, as the port promises.
      if (statusOf(error) === 422 && /already exists/i.test(requestErrorSchema.parse(error).message)) {
        return { commit: await this.branchHead(repo, branch), created: false };
      }
      throw error;
    }
  }

  async branchHead(repo: string, branch: string): Promise<string> {
    const head = await this.headIfExists(repo, branch);
    if (!head) throw new BranchNotFoundError(repo, branch);
    return head;
  }

  async readFile(repo: string, ref: string, path: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { ...this.at(repo), ref, path });
      return Buffer.from(contentSchema.parse(data).content, 'base64').toString('utf8');
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      // 404 means a missing path, ref or repository; getCommit tells them apart.
      await this.getCommit(repo, ref);
      return undefined;
    }
  }

  async getCommit(repo: string, ref: string): Promise<CommitInfo> {
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/commits/{ref}', { ...this.at(repo), ref });
      const commit = commitSchema.parse(data);
      return { sha: commit.sha, parents: commit.parents.map((parent) => parent.sha), message: commit.commit.message };
    } catch (error) {
      const status = statusOf(error);
      if (status !== 404 && status !== 422) throw error;
      await this.getRepository(repo);
      throw /^[0-9a-f]{40}$/.test(ref) ? new CommitNotFoundError(repo, ref) : new BranchNotFoundError(repo, ref);
    }
  }

  async integrate(repo: string, request: IntegrateRequest): Promise<IntegrationResult> {
    const { source, target, message } = integrateRequestSchema.parse(request);
    const targetHead = await this.branchHead(repo, target);
    const sourceHead = await this.branchHead(repo, source);
    try {
      const response = await this.octokit.request('POST /repos/{owner}/{repo}/merges', {
        ...this.at(repo),
        base: target,
        head: source,
        commit_message: message ?? `Merge branch '${source}' into ${target}`,
      });
      // Octokit's types know only 201; GitHub answers 204 when there is nothing to merge.
      const status: number = response.status;
      if (status === 204) return { kind: 'up-to-date', commit: targetHead };
      return { kind: 'merged', commit: mergeResultSchema.parse(response.data).sha };
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      const { paths, files } = await this.conflicts(repo, { branch: target, commit: targetHead }, { branch: source, commit: sourceHead });
      return { kind: 'conflict', paths, files };
    }
  }

  async openPullRequest(repo: string, input: NewPullRequest): Promise<OpenedPullRequest> {
    const { head, base, title, body } = newPullRequestSchema.parse(input);
    await this.branchHead(repo, head);
    await this.branchHead(repo, base);
    const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/pulls', { ...this.at(repo), head: `${this.split(repo).owner}:${head}`, base, state: 'open' });
    const open = z.array(pullSchema).parse(data)[0];
    if (open) return { pullRequest: await this.updatePullRequest(repo, open.number, { title, body }), created: false };
    const created = await this.octokit.request('POST /repos/{owner}/{repo}/pulls', { ...this.at(repo), head, base, title, body });
    return { pullRequest: await this.toPullRequest(repo, pullSchema.parse(created.data)), created: true };
  }

  async updatePullRequest(repo: string, number: number, changes: PullRequestChanges): Promise<PullRequest> {
    const { title, body } = pullRequestChangesSchema.parse(changes);
    const data = await this.call(
      repo,
      () => this.octokit.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { ...this.at(repo), pull_number: number, title, body }),
      () => new PullRequestNotFoundError(repo, number),
    );
    return this.toPullRequest(repo, pullSchema.parse(data));
  }

  async getPullRequest(repo: string, number: number): Promise<PullRequest> {
    return this.toPullRequest(repo, await this.getPull(repo, number));
  }

  async commentOnPullRequest(repo: string, number: number, body: string): Promise<PullRequestComment> {
    // Issue numbers include issues; the port speaks of pull requests only.
    await this.getPull(repo, number);
    const { data } = await this.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...this.at(repo), issue_number: number, body });
    const comment = commentSchema.parse(data);
    return { id: String(comment.id), body: comment.body, createdAt: comment.created_at };
  }

  /**
   * Comments on an issue (IssueCommenter). Not commentOnPullRequest: that one first checks
   * the number is a pull request, which a plain issue is not (the pulls API answers 404).
   */
  async commentOnIssue(repo: string, issueNumber: number, body: string): Promise<void> {
    await this.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...this.at(repo), issue_number: issueNumber, body });
  }

  async mergePullRequest(repo: string, number: number, options?: { message?: string }): Promise<MergedPullRequest> {
    const pull = await this.getPull(repo, number);
    const status = statusOfPull(pull);
    if (status !== 'open') throw new PullRequestNotOpenError(repo, number, status);
    try {
      const { data } = await this.octokit.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', { ...this.at(repo), pull_number: number, merge_method: 'merge', commit_message: options?.message });
      const { sha } = mergeResultSchema.parse(data);
      return { commit: sha, pullRequest: await this.getPullRequest(repo, number) };
    } catch (error) {
      const code = statusOf(error);
      if (code !== 405 && code !== 409) throw error;
      const now = await this.getPull(repo, number);
      // GitHub computes mergeability in the background: "dirty" is a known conflict, "unknown" (or none yet) may be one.
      if (now.mergeable_state === 'dirty' || now.mergeable_state === 'unknown' || now.mergeable_state === undefined) {
        const [base, head] = [now.base.ref, now.head.ref];
        const found = await this.conflicts(repo, { branch: base, commit: await this.branchHead(repo, base) }, { branch: head, commit: await this.branchHead(repo, head) });
        if (now.mergeable_state === 'dirty' || found.exact) throw new MergeConflictError(repo, number, found.paths);
      }
      throw new MergeRefusedError(repo, number, requestErrorSchema.parse(error).message);
    }
  }

  async closePullRequest(repo: string, number: number): Promise<PullRequest> {
    const pull = await this.getPull(repo, number);
    const status = statusOfPull(pull);
    if (status === 'merged') throw new PullRequestNotOpenError(repo, number, status);
    if (status === 'closed') return this.toPullRequest(repo, pull);
    const { data } = await this.octokit.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { ...this.at(repo), pull_number: number, state: 'closed' });
    return this.toPullRequest(repo, pullSchema.parse(data));
  }

  private split(repo: string): { owner: string; name: string } {
    const [first = '', second] = repo.split('/');
    return second === undefined ? { owner: this.owner, name: first } : { owner: first, name: second };
  }

  private at(repo: string): { owner: string; repo: string } {
    const { owner, name } = this.split(repo);
    return { owner, repo: name };
  }

  /**
   * Every item of a list endpoint, 100 a page, following the `link` header as
   * plugin-paginate-rest does; a 409 (an empty repository) ends the list, as there.
   */
  private async paginate(route: string, params: Record<string, unknown>): Promise<unknown[]> {
    const items: unknown[] = [];
    try {
      let response = await this.octokit.request(route, { ...params, per_page: 100 });
      for (;;) {
        items.push(...z.array(z.unknown()).parse(response.data));
        const next = nextPageUrl(response.headers.link);
        if (next === undefined) return items;
        response = await this.octokit.request({ method: 'GET', url: next });
      }
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      return items;
    }
  }

  /** Runs a call whose 404 means "the repository or `missing()`"; one extra request tells which. */
  private async call(repo: string, request: () => Promise<{ data: unknown } | unknown[]>, missing: () => Error): Promise<unknown> {
    try {
      const result = await request();
      return Array.isArray(result) ? result : result.data;
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      if (!(missing() instanceof RepoNotFoundError)) await this.getRepository(repo);
      throw missing();
    }
  }

  private async headIfExists(repo: string, branch: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...this.at(repo), ref: `heads/${branch}` });
      return refSchema.parse(data).object.sha;
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      await this.getRepository(repo);
      return undefined;
    }
  }

  private async getPull(repo: string, number: number): Promise<Pull> {
    const data = await this.call(
      repo,
      () => this.octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { ...this.at(repo), pull_number: number }),
      () => new PullRequestNotFoundError(repo, number),
    );
    return pullSchema.parse(data);
  }

  private async toPullRequest(repo: string, pull: Pull): Promise<PullRequest> {
    const comments = await this.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...this.at(repo), issue_number: pull.number });
    const status = statusOfPull(pull);
    return {
      repo,
      number: pull.number,
      status,
      head: pull.head.ref,
      base: pull.base.ref,
      title: pull.title,
      body: pull.body ?? '',
      comments: z
        .array(commentSchema)
        .parse(comments)
        .map((comment) => ({ id: String(comment.id), body: comment.body, createdAt: comment.created_at })),
      // While open, merge_commit_sha is GitHub's test merge, not a merge that happened.
      ...(status === 'merged' && pull.merge_commit_sha ? { mergeCommit: pull.merge_commit_sha } : {}),
      url: pull.html_url,
      createdAt: pull.created_at,
      updatedAt: pull.updated_at,
      ...(pull.merged_at ? { mergedAt: pull.merged_at } : {}),
      ...(pull.closed_at ? { closedAt: pull.closed_at } : {}),
    };
  }

  /**
   * What GitHub's "Merge conflict" does not say: the paths changed on both sides
   * since the merge base (compare API, which lists at most 300 files) are merged
   * here line by line; those that conflict, with git-style markers labelled by
   * branch. A path deleted on one side and changed on the other conflicts and
   * shows the changed side. Should nothing conflict by this reckoning (renames,
   * binary files), every path changed on both sides is reported, without files.
   */
  private async conflicts(repo: string, target: MergeSide, source: MergeSide): Promise<{ paths: string[]; files: ConflictFile[]; exact: boolean }> {
    const compare = async (base: string, head: string) => {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', { ...this.at(repo), basehead: `${base}...${head}` });
      return compareSchema.parse(data);
    };
    const [bySource, byTarget] = [await compare(target.commit, source.commit), await compare(source.commit, target.commit)];
    const changedByTarget = new Set(byTarget.files.map((file) => file.filename));
    const candidates = bySource.files.map((file) => file.filename).filter((path) => changedByTarget.has(path)).sort();
    const mergeBase = bySource.merge_base_commit.sha;
    const paths: string[] = [];
    const files: ConflictFile[] = [];
    for (const path of candidates) {
      const [base, ours, theirs] = [
        await this.readFile(repo, mergeBase, path),
        await this.readFile(repo, target.commit, path),
        await this.readFile(repo, source.commit, path),
      ];
      if (ours === theirs) continue;
      if (ours === undefined || theirs === undefined) {
        if (base === undefined) continue;
        paths.push(path);
        files.push({ path, content: ours ?? theirs ?? '' });
        continue;
      }
      const merged = mergeText(base ?? '', ours, theirs, { ours: target.branch, theirs: source.branch });
      if (merged.clean) continue;
      paths.push(path);
      files.push({ path, content: merged.content });
    }
    return paths.length > 0 ? { paths, files, exact: true } : { paths: candidates, files: [], exact: false };
  }
}

function statusOfPull(pull: Pull): PullRequest['status'] {
  if (pull.merged_at) return 'merged';
  return pull.state;
}
