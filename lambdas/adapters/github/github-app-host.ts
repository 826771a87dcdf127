import type { IssueCommenter } from '../../ports/feature-notifier.js';
import type {
  CommitInfo,
  EnsuredBranch,
  GitHost,
  IntegrateRequest,
  IntegrationResult,
  MergedPullRequest,
  NewPullRequest,
  OpenedPullRequest,
  PullRequest,
  PullRequestChanges,
  PullRequestComment,
  Repository,
} from '../../ports/git-host.js';
import type { GitHubHost, GitHubHostOptions } from './github-host.js';
import type { GitHubGitAccess } from './github-workspace.js';

export interface GitHubAppHostOptions extends Omit<GitHubHostOptions, 'auth'> {
  readonly appId: string;
  readonly installationId: number;
  /** The App's private key (PEM), e.g. from Secrets Manager through a cache; read before every call. */
  readonly privateKey: () => Promise<string | undefined>;
}

/**
 * GitHubHost as a GitHub App whose private key lives in a secret: the host (and
 * Octokit with it) is made on first use, and made again when the key read
 * through `privateKey` changes, so a rotated key takes effect without a deploy.
 *
 * Octokit is imported on first use (`await import`), so the functions that
 * build this at cold start but seldom call GitHub (every state machine step,
 * the webhook) neither load nor, with code splitting, initialise it at cold start.
 */
export class GitHubAppHost implements GitHost, IssueCommenter, GitHubGitAccess {
  private current: { readonly privateKey: string; readonly host: Promise<GitHubHost> } | undefined;

  constructor(private readonly options: GitHubAppHostOptions) {}

  repoFullName(repo: string): string {
    return repo.includes('/') ? repo : `${this.options.owner}/${repo}`;
  }

  async accessToken(): Promise<string> {
    return (await this.host()).accessToken();
  }

  async getRepository(repo: string): Promise<Repository> {
    return (await this.host()).getRepository(repo);
  }

  async listBranches(repo: string): Promise<string[]> {
    return (await this.host()).listBranches(repo);
  }

  async ensureBranch(repo: string, branch: string, from: string): Promise<EnsuredBranch> {
    return (await this.host()).ensureBranch(repo, branch, from);
  }

  async branchHead(repo: string, branch: string): Promise<string> {
    return (await this.host()).branchHead(repo, branch);
  }

  async readFile(repo: string, ref: string, path: string): Promise<string | undefined> {
    return (await this.host()).readFile(repo, ref, path);
  }

  async getCommit(repo: string, ref: string): Promise<CommitInfo> {
    return (await this.host()).getCommit(repo, ref);
  }

  async integrate(repo: string, request: IntegrateRequest): Promise<IntegrationResult> {
    return (await this.host()).integrate(repo, request);
  }

  async openPullRequest(repo: string, input: NewPullRequest): Promise<OpenedPullRequest> {
    return (await this.host()).openPullRequest(repo, input);
  }

  async updatePullRequest(repo: string, number: number, changes: PullRequestChanges): Promise<PullRequest> {
    return (await this.host()).updatePullRequest(repo, number, changes);
  }

  async getPullRequest(repo: string, number: number): Promise<PullRequest> {
    return (await this.host()).getPullRequest(repo, number);
  }

  async commentOnPullRequest(repo: string, number: number, body: string): Promise<PullRequestComment> {
    return (await this.host()).commentOnPullRequest(repo, number, body);
  }

  async commentOnIssue(repo: string, issueNumber: number, body: string): Promise<void> {
    return (await this.host()).commentOnIssue(repo, issueNumber, body);
  }

  async mergePullRequest(repo: string, number: number, options?: { message?: string }): Promise<MergedPullRequest> {
    return (await this.host()).mergePullRequest(repo, number, options);
  }

  async closePullRequest(repo: string, number: number): Promise<PullRequest> {
    return (await this.host()).closePullRequest(repo, number);
  }

  private async host(): Promise<GitHubHost> {
    const privateKey = (await this.options.privateKey())?.trim();
    // Neither the key nor any part of it goes into the message.
    if (!privateKey) throw new Error('the GitHub App private key secret is empty: put the PEM into it (lib/README.md, "Secrets to fill")');
    if (this.current?.privateKey !== privateKey) {
      const { appId, installationId, privateKey: _read, ...hostOptions } = this.options;
      const host = import('./github-host.js').then(({ GitHubHost }) => new GitHubHost({ ...hostOptions, auth: { kind: 'app', appId, privateKey, installationId } }));
      this.current = { privateKey, host };
      // A failed import is not remembered: the next call tries again.
      host.catch(() => {
        if (this.current?.host === host) this.current = undefined;
      });
    }
    return this.current.host;
  }
}
