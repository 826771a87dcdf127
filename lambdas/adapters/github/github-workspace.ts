import type { GitHost } from '../../ports/git-host.js';
import type { Workspace, WorkspaceProvider, WorkspaceRequest } from '../../ports/workspace.js';
import { ClonedWorkspaceProvider, type GitRemote } from '../git/cloned-workspace.js';
import { createGitRunner, type GitIdentity, type GitRunner } from '../local-git/git-cli.js';

/** What the workspace needs of GitHubHost besides ensureBranch. */
export interface GitHubGitAccess {
  /** `owner/name`, what the clone URL ends with. */
  repoFullName(repo: string): string;
  /** A token with contents read/write on the repository (an installation token). */
  accessToken(): Promise<string>;
}

export interface GitHubWorkspaceOptions {
  readonly host: Pick<GitHost, 'ensureBranch'> & GitHubGitAccess;
  /** Where repositories are cloned from (default https://github.com; GitHub Enterprise's web URL, or a test server). */
  readonly gitBaseUrl?: string;
  /** Where working copies are made (default: the OS temp dir; /tmp on Lambda). */
  readonly tmpDir?: string;
  /** Author and committer of task commits (default `DSF <dsf@localhost>`). */
  readonly identity?: GitIdentity;
  /** Default: the git CLI allowed https only. */
  readonly git?: GitRunner;
}

/**
 * Workspaces as `git clone`s of GitHub repositories over https, sharing
 * LocalWorkspace's implementation (ClonedWorkspaceProvider): the same trailers,
 * paths and push lease. The feature branch is made through the API
 * (GitHost.ensureBranch) before the clone.
 */
export class GitHubWorkspaceProvider implements WorkspaceProvider {
  private readonly cloned: ClonedWorkspaceProvider;

  constructor(options: GitHubWorkspaceOptions) {
    const { host } = options;
    const base = new URL(options.gitBaseUrl ?? 'https://github.com');
    this.cloned = new ClonedWorkspaceProvider({
      host,
      git: options.git ?? createGitRunner({ allowProtocols: ['https'], ...(options.identity ? { identity: options.identity } : {}) }),
      remoteFor: async (repo) => gitHubRemote(new URL(`${host.repoFullName(repo)}.git`, withTrailingSlash(base)).href, () => host.accessToken()),
      ...(options.tmpDir ? { tmpDir: options.tmpDir } : {}),
    });
  }

  open(request: WorkspaceRequest): Promise<Workspace> {
    return this.cloned.open(request);
  }
}

/**
 * An https remote authenticated the way GitHub documents for installation
 * tokens (Basic, user `x-access-token`). The header goes into git's config
 * through the environment (GIT_CONFIG_COUNT/KEY/VALUE), so the token is in
 * neither argv (visible in `ps`), the clone's .git/config, the remote URL, nor
 * a credential store. It is scoped to the remote's origin (`http.<origin>/.extraHeader`),
 * so a redirect to another host does not receive it.
 */
export function gitHubRemote(url: string, token: () => Promise<string>): GitRemote {
  const { origin } = new URL(url);
  return {
    url,
    async authEnv() {
      const basic = Buffer.from(`x-access-token:${await token()}`, 'utf8').toString('base64');
      return { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: `http.${origin}/.extraHeader`, GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` };
    },
  };
}

const withTrailingSlash = (url: URL): URL => (url.pathname.endsWith('/') ? url : new URL(`${url.href}/`));
