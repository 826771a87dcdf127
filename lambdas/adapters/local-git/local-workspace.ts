import type { Workspace, WorkspaceProvider, WorkspaceRequest } from '../../ports/workspace.js';
import { ClonedWorkspaceProvider, unauthenticatedRemote } from '../git/cloned-workspace.js';
import { createGitRunner, type GitIdentity, type GitRunner } from './git-cli.js';
import type { LocalGitHost } from './local-git-host.js';

export interface LocalWorkspaceOptions {
  readonly host: LocalGitHost;
  /** Where working copies are made (default: the OS temp dir). */
  readonly tmpDir?: string;
  /** Author and committer of task commits (default `DSF <dsf@localhost>`). */
  readonly identity?: GitIdentity;
  readonly git?: GitRunner;
}

/**
 * Workspaces as `git clone`s of the bare repository under the data directory
 * (see ClonedWorkspaceProvider); a local path needs no credentials.
 */
export class LocalWorkspaceProvider implements WorkspaceProvider {
  private readonly cloned: ClonedWorkspaceProvider;

  constructor(options: LocalWorkspaceOptions) {
    const { host } = options;
    this.cloned = new ClonedWorkspaceProvider({
      host,
      git: options.git ?? createGitRunner(options.identity ? { identity: options.identity } : {}),
      remoteFor: async (repo) => unauthenticatedRemote(await host.gitDir(repo)),
      ...(options.tmpDir ? { tmpDir: options.tmpDir } : {}),
    });
  }

  open(request: WorkspaceRequest): Promise<Workspace> {
    return this.cloned.open(request);
  }
}
