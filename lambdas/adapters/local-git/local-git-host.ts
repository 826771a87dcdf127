import { randomUUID } from 'node:crypto';
import { access, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { branchNameSchema, repoNameSchema } from '../../core/feature.js';
import {
  BranchNotFoundError,
  CommitNotFoundError,
  ConcurrentRefUpdateError,
  InvalidBranchNameError,
  InvalidRepositoryNameError,
  InvalidRepositorySourceError,
  MergeConflictError,
  newPullRequestSchema,
  pullRequestChangesSchema,
  PullRequestNotFoundError,
  PullRequestNotOpenError,
  RepoAlreadyExistsError,
  RepoNotFoundError,
  type CommitInfo,
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
  type RepositoryRegistry,
  type RepositorySummary,
} from '../../ports/git-host.js';
import type { PullRequestStore } from '../../ports/pull-request-store.js';
import { createGitRunner, GitCommandError, text, type GitIdentity, type GitRunner } from './git-cli.js';
import { mergeTrees } from './merge-tree.js';

export interface LocalGitHostOptions {
  /** Repositories live in `<dataDir>/repos/<name>.git`. */
  readonly dataDir: string;
  readonly pullRequests: PullRequestStore;
  /** Author and committer of merge commits (default `DSF <dsf@localhost>`). */
  readonly identity?: GitIdentity;
  /** The git CLI; tests inject a wrapper to watch or interleave commands. */
  readonly git?: GitRunner;
  /** Compare-and-swap rounds an integration makes before ConcurrentRefUpdateError (default 10). */
  readonly maxIntegrationAttempts?: number;
}

/** A repository name that is also a safe path below the repos directory. */
const localRepoNameSchema = repoNameSchema.refine((name) => !/\.git$/i.test(name), 'must not end in .git');

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * GitHost over bare repositories on the local disk, driven by the git CLI, with
 * pull requests kept in a PullRequestStore.
 *
 * `integrate` never touches a working tree: `git merge-tree --write-tree` merges
 * in the object database, `commit-tree` makes the merge commit, and
 * `update-ref <ref> <new> <old>` moves the target only if it still is where the
 * merge started from. A lost race is retried from the new head, so concurrent
 * integrations into one branch never lose an update, with or without a Lock.
 */
export class LocalGitHost implements GitHost, RepositoryRegistry {
  readonly reposDir: string;
  private readonly git: GitRunner;
  private readonly maxAttempts: number;

  constructor(private readonly options: LocalGitHostOptions) {
    this.reposDir = join(resolve(options.dataDir), 'repos');
    this.git = options.git ?? createGitRunner(options.identity ? { identity: options.identity } : {});
    this.maxAttempts = options.maxIntegrationAttempts ?? 10;
  }

  // ---- repositories ---------------------------------------------------------

  async importRepository(name: string, source: string): Promise<RepositorySummary> {
    const parsed = localRepoNameSchema.safeParse(name);
    if (!parsed.success) throw new InvalidRepositoryNameError(name, parsed.error.issues[0]?.message ?? 'invalid');
    const sourcePath = await localSourcePath(source);
    const target = this.pathOf(name);
    if (await exists(target)) throw new RepoAlreadyExistsError(name);

    // Cloned aside and renamed into place: a half-made clone is never visible under the name,
    // and of two imports racing for one name the rename lets exactly one win.
    const staging = join(this.reposDir, '.staging', `${randomUUID()}.git`);
    await mkdir(dirname(staging), { recursive: true });
    try {
      try {
        await this.git(['clone', '--bare', '--quiet', '--', sourcePath, staging]);
      } catch (error) {
        throw new InvalidRepositorySourceError(source, 'it is not a git repository', { cause: error });
      }
      if ((await this.branchesIn(staging)).length === 0) throw new InvalidRepositorySourceError(source, 'it has no branches');
      await mkdir(dirname(target), { recursive: true });
      try {
        await rename(staging, target);
      } catch (error) {
        if (isErrno(error, 'ENOTEMPTY') || isErrno(error, 'EEXIST')) throw new RepoAlreadyExistsError(name);
        throw error;
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return this.summary(name, target);
  }

  async listRepositories(): Promise<RepositorySummary[]> {
    const names: string[] = [];
    for (const entry of await readdirIfExists(this.reposDir)) {
      // Names cannot start with a dot, so `.staging` and friends are never repositories.
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      if (entry.name.endsWith('.git')) {
        names.push(entry.name.slice(0, -'.git'.length));
        continue;
      }
      for (const inner of await readdirIfExists(join(this.reposDir, entry.name))) {
        if (inner.isDirectory() && inner.name.endsWith('.git')) names.push(`${entry.name}/${inner.name.slice(0, -'.git'.length)}`);
      }
    }
    const valid = names.filter((name) => localRepoNameSchema.safeParse(name).success).sort();
    return Promise.all(valid.map((name) => this.summary(name, this.pathOf(name))));
  }

  async getRepository(repo: string): Promise<Repository> {
    const { name, defaultBranch } = await this.summary(repo, await this.gitDir(repo));
    return { name, defaultBranch };
  }

  async listBranches(repo: string): Promise<string[]> {
    return this.branchesIn(await this.gitDir(repo));
  }

  /** The bare repository of `repo`; RepoNotFoundError if there is none (or the name could not be one). */
  async gitDir(repo: string): Promise<string> {
    if (!localRepoNameSchema.safeParse(repo).success) throw new RepoNotFoundError(repo);
    const path = this.pathOf(repo);
    if (!(await exists(join(path, 'HEAD')))) throw new RepoNotFoundError(repo);
    return path;
  }

  // ---- branches and commits -------------------------------------------------

  async ensureBranch(repo: string, branch: string, from: string): Promise<EnsuredBranch> {
    const dir = await this.gitDir(repo);
    await this.requireValidBranchName(dir, branch);
    const existing = await this.findBranch(dir, branch);
    if (existing) return { commit: existing, created: false };
    const commit = await this.requireBranch(dir, repo, from);
    // An empty old value means "must not exist yet": of two concurrent creators exactly one succeeds.
    const created = await this.git(['update-ref', `refs/heads/${branch}`, commit, ''], { cwd: dir, okCodes: [0, 128] });
    if (created.code === 0) return { commit, created: true };
    const winner = await this.findBranch(dir, branch);
    if (!winner) throw new GitCommandError(['update-ref'], created.code, created.stderr);
    return { commit: winner, created: false };
  }

  async branchHead(repo: string, branch: string): Promise<string> {
    return this.requireBranch(await this.gitDir(repo), repo, branch);
  }

  /** The head of a branch, or undefined if it does not exist. */
  async findBranchHead(repo: string, branch: string): Promise<string | undefined> {
    return this.findBranch(await this.gitDir(repo), branch);
  }

  async readFile(repo: string, ref: string, path: string): Promise<string | undefined> {
    const dir = await this.gitDir(repo);
    const commit = await this.resolveRef(dir, repo, ref);
    const blob = await this.git(['cat-file', 'blob', `${commit}:${path.replace(/^\.?\/+/, '')}`], { cwd: dir, okCodes: [0, 128] });
    return blob.code === 0 ? blob.stdout.toString('utf8') : undefined;
  }

  async getCommit(repo: string, ref: string): Promise<CommitInfo> {
    const dir = await this.gitDir(repo);
    const commit = await this.resolveRef(dir, repo, ref);
    const shown = await this.git(['show', '--no-patch', '--format=%H%x00%P%x00%B', commit], { cwd: dir });
    const [sha = commit, parents = '', ...message] = shown.stdout.toString('utf8').split('\0');
    return { sha, parents: parents.split(' ').filter(Boolean), message: message.join('\0').trimEnd() };
  }

  // ---- integration ----------------------------------------------------------

  async integrate(repo: string, request: IntegrateRequest): Promise<IntegrationResult> {
    const dir = await this.gitDir(repo);
    const { source, target } = request;
    const message = request.message ?? `Merge branch '${source}' into ${target}`;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const targetHead = await this.requireBranch(dir, repo, target);
      const sourceHead = await this.requireBranch(dir, repo, source);
      if (await this.isAncestor(dir, sourceHead, targetHead)) return { kind: 'up-to-date', commit: targetHead };

      const merge = await mergeTrees(this.git, dir, { branch: target, commit: targetHead }, { branch: source, commit: sourceHead });
      if (merge.kind === 'conflict') return merge;

      const commit = text(await this.git(['commit-tree', merge.tree, '-p', targetHead, '-p', sourceHead, '-m', message], { cwd: dir }));
      if (await this.compareAndSwap(dir, target, commit, targetHead)) return { kind: 'merged', commit };
      // Someone moved the target since we read it: merge again onto the new head, after a short random pause.
      await new Promise((done) => setTimeout(done, Math.random() * 10 * attempt));
    }
    throw new ConcurrentRefUpdateError(repo, target, this.maxAttempts);
  }

  // ---- pull requests --------------------------------------------------------

  async openPullRequest(repo: string, input: NewPullRequest): Promise<OpenedPullRequest> {
    const dir = await this.gitDir(repo);
    await this.requireBranch(dir, repo, input.head);
    await this.requireBranch(dir, repo, input.base);
    const draft = newPullRequestSchema.parse(input);
    return this.options.pullRequests.openOrUpdate({ repo, ...draft });
  }

  async updatePullRequest(repo: string, number: number, changes: PullRequestChanges): Promise<PullRequest> {
    await this.gitDir(repo);
    return this.options.pullRequests.update(repo, number, pullRequestChangesSchema.parse(changes));
  }

  async getPullRequest(repo: string, number: number): Promise<PullRequest> {
    await this.gitDir(repo);
    const pullRequest = await this.options.pullRequests.get(repo, number);
    if (!pullRequest) throw new PullRequestNotFoundError(repo, number);
    return pullRequest;
  }

  async commentOnPullRequest(repo: string, number: number, body: string): Promise<PullRequestComment> {
    await this.gitDir(repo);
    return this.options.pullRequests.addComment(repo, number, body);
  }

  async mergePullRequest(repo: string, number: number, options: { message?: string } = {}): Promise<MergedPullRequest> {
    const pullRequest = await this.getPullRequest(repo, number);
    if (pullRequest.status !== 'open') throw new PullRequestNotOpenError(repo, number, pullRequest.status);
    const result = await this.integrate(repo, {
      source: pullRequest.head,
      target: pullRequest.base,
      message: options.message ?? `Merge pull request #${number} from ${pullRequest.head}\n\n${pullRequest.title}`,
    });
    if (result.kind === 'conflict') throw new MergeConflictError(repo, number, result.paths);
    return { commit: result.commit, pullRequest: await this.options.pullRequests.markMerged(repo, number, result.commit) };
  }

  async closePullRequest(repo: string, number: number): Promise<PullRequest> {
    await this.gitDir(repo);
    return this.options.pullRequests.markClosed(repo, number);
  }

  // ---- plumbing -------------------------------------------------------------

  private pathOf(repo: string): string {
    return join(this.reposDir, `${repo}.git`);
  }

  private async summary(name: string, dir: string): Promise<RepositorySummary> {
    const branches = await this.branchesIn(dir);
    const head = await this.git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: dir, okCodes: [0, 1, 128] });
    const headBranch = head.code === 0 ? text(head) : undefined;
    const defaultBranch = headBranch && branches.includes(headBranch) ? headBranch : (branches[0] ?? headBranch ?? 'main');
    return { name, defaultBranch, branches };
  }

  private async branchesIn(dir: string): Promise<string[]> {
    const listed = text(await this.git(['for-each-ref', '--format=%(refname:strip=2)', 'refs/heads/'], { cwd: dir }));
    return listed === '' ? [] : listed.split('\n').sort();
  }

  private async findBranch(dir: string, branch: string): Promise<string | undefined> {
    if (!branchNameSchema.safeParse(branch).success) return undefined;
    const found = await this.git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], { cwd: dir, okCodes: [0, 1] });
    return found.code === 0 ? text(found) : undefined;
  }

  private async requireBranch(dir: string, repo: string, branch: string): Promise<string> {
    const head = await this.findBranch(dir, branch);
    if (!head) throw new BranchNotFoundError(repo, branch);
    return head;
  }

  private async requireValidBranchName(dir: string, branch: string): Promise<void> {
    if (!branchNameSchema.safeParse(branch).success) throw new InvalidBranchNameError(branch);
    const checked = await this.git(['check-ref-format', `refs/heads/${branch}`], { cwd: dir, okCodes: [0, 1] });
    if (checked.code !== 0) throw new InvalidBranchNameError(branch);
  }

  /** A full commit id or a branch name, to a commit id. */
  private async resolveRef(dir: string, repo: string, ref: string): Promise<string> {
    if (!SHA.test(ref)) return this.requireBranch(dir, repo, ref);
    const found = await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: dir, okCodes: [0, 1] });
    if (found.code !== 0) throw new CommitNotFoundError(repo, ref);
    return text(found);
  }

  private async isAncestor(dir: string, ancestor: string, descendant: string): Promise<boolean> {
    const result = await this.git(['merge-base', '--is-ancestor', ancestor, descendant], { cwd: dir, okCodes: [0, 1] });
    return result.code === 0;
  }

  /** true if the branch moved from `expected` to `next`; false if someone else moved it first. */
  private async compareAndSwap(dir: string, branch: string, next: string, expected: string): Promise<boolean> {
    const updated = await this.git(['update-ref', `refs/heads/${branch}`, next, expected], { cwd: dir, okCodes: [0, 128] });
    if (updated.code === 0) return true;
    // "is at X but expected Y", or another writer holding the ref's lock file right now.
    if (/cannot lock ref/.test(updated.stderr)) return false;
    throw new GitCommandError(['update-ref'], updated.code, updated.stderr);
  }
}

/** A local path or file:// URL to an existing directory; anything else (other URLs, scp-style remotes) is refused. */
async function localSourcePath(source: string): Promise<string> {
  let path: string;
  if (/^file:\/\//i.test(source)) {
    try {
      path = fileURLToPath(source);
    } catch (error) {
      throw new InvalidRepositorySourceError(source, 'it is not a valid file:// URL', { cause: error });
    }
  } else if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(source) || source.includes('::') || /^[^/]*@[^/]*:/.test(source)) {
    throw new InvalidRepositorySourceError(source, 'only local paths and file:// URLs can be imported');
  } else {
    path = resolve(source);
  }
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new InvalidRepositorySourceError(source, 'it does not exist');
  }
  if (!info.isDirectory()) throw new InvalidRepositorySourceError(source, 'it is not a directory');
  return path;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function readdirIfExists(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
