import { lstat, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  featureBranchName,
  PushRejectedError,
  taskBranchName,
  trailerKeySchema,
  trailerValueSchema,
  workspaceRequestSchema,
  WorkspacePathError,
  type Workspace,
  type WorkspaceProvider,
  type WorkspaceRequest,
} from '../../ports/workspace.js';
import { branchNameSchema } from '../../core/feature.js';
import { commitShaSchema, type GitHost } from '../../ports/git-host.js';
import { text, type GitRunner } from '../local-git/git-cli.js';

/**
 * Where a workspace is cloned from and pushed to: a bare repository's path
 * locally, an https URL on GitHub.
 */
export interface GitRemote {
  /** What `git clone` is given; it ends up in the clone's .git/config, so it never carries credentials. */
  readonly url: string;
  /**
   * Variables for each git command that talks to the remote (clone, ls-remote,
   * fetch, push). Asked for per command, so a short-lived token is fresh for
   * every one; credentials travel in the environment (GIT_CONFIG_COUNT/KEY/VALUE),
   * never in argv (visible in `ps`) or on disk.
   */
  authEnv(): Promise<Readonly<Record<string, string>>>;
}

/** A remote that needs no credentials (a local path). */
export const unauthenticatedRemote = (url: string): GitRemote => ({ url, authEnv: async () => ({}) });

export interface ClonedWorkspaceOptions {
  /** The remote of a repository; throws RepoNotFoundError for one that does not exist. */
  readonly remoteFor: (repo: string) => Promise<GitRemote>;
  /** The host's ensureBranch: the feature branch is created through the host, before cloning it. */
  readonly host: Pick<GitHost, 'ensureBranch'>;
  readonly git: GitRunner;
  /** Where working copies are made (default: the OS temp dir). */
  readonly tmpDir?: string;
}

/**
 * Workspaces as `git clone`s of a remote into a temp dir: the one implementation
 * behind LocalWorkspaceProvider (a bare repository under the data directory) and
 * GitHubWorkspaceProvider (https with an installation token), so both keep the
 * same trailers, path rules and push lease.
 *
 * A clone rather than `git worktree add` on a shared helper clone: a clone
 * shares nothing writable with other workspaces (worktrees share refs, config,
 * the object store's locks and the worktree list, so parallel tasks contend and a
 * crash leaves registrations to prune), and it is disposed of by deleting one
 * directory. From a local path git hard-links the objects, so it stays cheap.
 */
export class ClonedWorkspaceProvider implements WorkspaceProvider {
  constructor(private readonly options: ClonedWorkspaceOptions) {}

  async open(request: WorkspaceRequest): Promise<Workspace> {
    const { repo, featureId, taskId, baseBranch } = workspaceRequestSchema.parse(request);
    const { git, host } = this.options;
    const remote = await this.options.remoteFor(repo);
    const featureBranch = featureBranchName(featureId);
    const branch = taskBranchName(featureId, taskId);
    await host.ensureBranch(repo, featureBranch, baseBranch);

    const dir = await realpath(await mkdtemp(join(this.options.tmpDir ?? tmpdir(), 'dsf-ws-')));
    try {
      await git(['clone', '--quiet', '--no-tags', '--single-branch', '--branch', featureBranch, '--', remote.url, dir], { env: await remote.authEnv() });
      // What an earlier attempt left on the task branch; the first push may replace exactly that.
      const previous = await remoteBranchHead(git, dir, remote, branch);
      const baseCommit = text(await git(['rev-parse', 'HEAD'], { cwd: dir }));
      await git(['switch', '--quiet', '--create', branch], { cwd: dir });
      return new ClonedWorkspace({ git, remote, dir, repo, featureId, taskId, branch, featureBranch, baseCommit, previous });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }
}

/** The remote's head of `branch`, or undefined when it has none (ls-remote patterns match by suffix, hence the exact comparison). */
async function remoteBranchHead(git: GitRunner, dir: string, remote: GitRemote, branch: string): Promise<string | undefined> {
  const ref = `refs/heads/${branch}`;
  const listed = await git(['ls-remote', '--heads', 'origin', ref], { cwd: dir, env: await remote.authEnv() });
  const line = text(listed)
    .split('\n')
    .map((entry) => entry.split('\t'))
    .find(([, name]) => name === ref);
  return line?.[0];
}

/** The workspace's identity, as the port names it, and what the adapter works it with. */
interface ClonedWorkspaceState extends Pick<Workspace, 'dir' | 'repo' | 'featureId' | 'taskId' | 'branch' | 'featureBranch' | 'baseCommit'> {
  readonly git: GitRunner;
  readonly remote: GitRemote;
  /** The remote task branch's commit when the workspace was made (the first push's lease). */
  readonly previous: string | undefined;
}

class ClonedWorkspace implements Workspace {
  readonly dir: string;
  readonly repo: string;
  readonly featureId: string;
  readonly taskId: string;
  readonly branch: string;
  readonly featureBranch: string;
  readonly baseCommit: string;
  private readonly git: GitRunner;
  private readonly remote: GitRemote;
  /** The remote task branch as we last knew it: the lease every push is conditioned on. */
  private expectedRemote: string | undefined;
  private disposed = false;

  constructor(state: ClonedWorkspaceState) {
    ({
      dir: this.dir,
      repo: this.repo,
      featureId: this.featureId,
      taskId: this.taskId,
      branch: this.branch,
      featureBranch: this.featureBranch,
      baseCommit: this.baseCommit,
      git: this.git,
      remote: this.remote,
    } = state);
    this.expectedRemote = state.previous;
  }

  async write(path: string, content: string | Uint8Array): Promise<void> {
    const target = await this.safePath(path);
    await mkdir(dirname(target), { recursive: true });
    await this.requireInside(path, dirname(target));
    await writeFile(target, content);
  }

  async read(path: string): Promise<string | undefined> {
    const target = await this.safePath(path);
    try {
      await this.requireInside(path, dirname(target));
      return await readFile(target, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async remove(path: string): Promise<void> {
    const target = await this.safePath(path);
    await rm(target, { recursive: true, force: true });
  }

  async commit(message: string, trailers: Readonly<Record<string, string>> = {}): Promise<string | undefined> {
    this.requireOpen();
    if (message.trim() === '') throw new RangeError('a commit needs a message');
    const all: Record<string, string> = { Feature: this.featureId, Task: this.taskId, ...trailers };
    const trailerArgs = Object.entries(all).flatMap(([key, value]) => [
      '--trailer',
      `${trailerKeySchema.parse(key)}: ${trailerValueSchema.parse(value)}`,
    ]);
    await this.git(['add', '--all'], { cwd: this.dir });
    // A merge in progress is committed even when it changes no file: the merge commit is what records it.
    const merging = (await this.git(['rev-parse', '-q', '--verify', 'MERGE_HEAD'], { cwd: this.dir, okCodes: [0, 1] })).code === 0;
    const staged = await this.git(['diff', '--cached', '--quiet'], { cwd: this.dir, okCodes: [0, 1] });
    if (staged.code === 0 && !merging) return undefined;
    await this.git(['commit', '--quiet', '--no-verify', '-m', message, ...trailerArgs], { cwd: this.dir });
    return text(await this.git(['rev-parse', 'HEAD'], { cwd: this.dir }));
  }

  async push(): Promise<string> {
    this.requireOpen();
    const head = text(await this.git(['rev-parse', 'HEAD'], { cwd: this.dir }));
    const ref = `refs/heads/${this.branch}`;
    const pushed = await this.git(
      ['push', '--porcelain', '--quiet', `--force-with-lease=${ref}:${this.expectedRemote ?? ''}`, 'origin', `HEAD:${ref}`],
      { cwd: this.dir, okCodes: [0, 1], env: await this.remote.authEnv() },
    );
    if (pushed.code !== 0) {
      const rejected = /^!\t[^\t]*\t(.*)$/m.exec(pushed.stdout.toString('utf8'))?.[1] ?? pushed.stderr.trim();
      throw new PushRejectedError(this.repo, this.branch, rejected);
    }
    this.expectedRemote = head;
    return head;
  }

  async fetch(branch: string): Promise<string> {
    this.requireOpen();
    const name = branchNameSchema.parse(branch);
    await this.git(['fetch', '--quiet', '--no-tags', 'origin', `refs/heads/${name}`], { cwd: this.dir, env: await this.remote.authEnv() });
    return text(await this.git(['rev-parse', 'FETCH_HEAD'], { cwd: this.dir }));
  }

  async merge(commit: string): Promise<{ conflicts: string[] }> {
    this.requireOpen();
    const sha = commitShaSchema.parse(commit);
    await this.git(['merge', '--quiet', '--no-ff', '--no-commit', sha], { cwd: this.dir, okCodes: [0, 1] });
    const unmerged = await this.git(['diff', '--name-only', '--diff-filter=U'], { cwd: this.dir });
    return { conflicts: text(unmerged).split('\n').filter(Boolean).sort() };
  }

  async diff(commit: string, maxBytes = 200_000): Promise<{ text: string; truncated: boolean; files: string[] }> {
    this.requireOpen();
    const sha = commitShaSchema.parse(commit);
    const [patch, names] = await Promise.all([
      this.git(['diff', '--no-color', '--no-ext-diff', `${sha}..HEAD`], { cwd: this.dir }),
      this.git(['diff', '--name-only', `${sha}..HEAD`], { cwd: this.dir }),
    ]);
    const full = patch.stdout;
    return {
      text: full.subarray(0, maxBytes).toString('utf8'),
      truncated: full.length > maxBytes,
      files: text(names).split('\n').filter(Boolean),
    };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await rm(this.dir, { recursive: true, force: true });
  }

  private requireOpen(): void {
    if (this.disposed) throw new Error(`workspace ${this.dir} has been disposed of`);
  }

  /** The absolute path of a workspace-relative path, refusing anything outside the tree or inside `.git`. */
  private async safePath(path: string): Promise<string> {
    this.requireOpen();
    if (path === '' || isAbsolute(path) || path.includes('\0')) throw new WorkspacePathError(path);
    const target = resolve(this.dir, path);
    const inside = relative(this.dir, target);
    if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside) || inside.split(sep)[0] === '.git') {
      throw new WorkspacePathError(path);
    }
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isSymbolicLink()) throw new WorkspacePathError(path);
    return target;
  }

  /** A symlinked directory inside the tree could still lead out of it. */
  private async requireInside(path: string, directory: string): Promise<void> {
    const real = await realpath(directory);
    if (real !== this.dir && !real.startsWith(`${this.dir}${sep}`)) throw new WorkspacePathError(path);
  }
}
