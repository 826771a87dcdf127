import { z } from 'zod';
import { DomainError } from '../core/errors.js';
import { branchNameSchema, featureIdSchema, repoNameSchema } from '../core/feature.js';
import { taskIdSchema } from '../core/task.js';

/** The branch a feature's tasks are merged into, and the head of its pull request. */
export const featureBranchName = (featureId: string): string => `dsf/${featureId}`;

/**
 * A task's own branch. Not `dsf/<featureId>/<taskId>`: git stores refs as paths,
 * so `refs/heads/dsf/<featureId>` (the feature branch, a file) and
 * `refs/heads/dsf/<featureId>/<taskId>` (which needs it to be a directory) cannot
 * both exist. GitHub refuses the pair for the same reason.
 */
export const taskBranchName = (featureId: string, taskId: string): string => `dsf/tasks/${featureId}/${taskId}`;

export const workspaceRequestSchema = z.object({
  repo: repoNameSchema,
  featureId: featureIdSchema,
  taskId: taskIdSchema,
  /** Where the feature branch is cut from if it does not exist yet. */
  baseBranch: branchNameSchema,
});
export type WorkspaceRequest = z.infer<typeof workspaceRequestSchema>;

/**
 * A fresh working copy for one task, on the task branch, cut from the head of
 * the feature branch. Agents edit files under `dir` (directly or through
 * write/remove), then commit and push; merging into the feature branch is the
 * git host's `integrate`, not the workspace's business.
 */
export interface Workspace {
  /** Absolute path of the working tree. */
  readonly dir: string;
  readonly repo: string;
  readonly featureId: string;
  readonly taskId: string;
  /** The task branch (taskBranchName). */
  readonly branch: string;
  /** The feature branch (featureBranchName). */
  readonly featureBranch: string;
  /** The feature-branch commit the task branch was cut from. */
  readonly baseCommit: string;
  /** Writes a file at a path relative to `dir`, creating directories. Refuses paths that leave `dir` or touch `.git`. */
  write(path: string, content: string | Uint8Array): Promise<void>;
  /** A file's text, or undefined if it does not exist. */
  read(path: string): Promise<string | undefined>;
  remove(path: string): Promise<void>;
  /**
   * Stages every change under `dir` and commits it with `Feature:` and `Task:`
   * trailers (plus any `trailers` given). Returns the commit, or undefined when
   * there was nothing to commit.
   */
  commit(message: string, trailers?: Readonly<Record<string, string>>): Promise<string | undefined>;
  /**
   * Publishes the task branch. The first push replaces a task branch left by an
   * earlier attempt only if it is still what it was when this workspace opened,
   * so two workers on one task cannot overwrite each other (PushRejectedError).
   * Returns the pushed commit.
   */
  push(): Promise<string>;
  /**
   * Fetches a branch of the repository (the base branch, or the feature branch
   * as it is now) into the working copy; returns its head commit, which later
   * calls may name (`merge`, `git diff <commit>`).
   */
  fetch(branch: string): Promise<string>;
  /**
   * Merges a fetched commit into the working tree without committing. Clean
   * merges and conflicts alike are left staged-or-marked for the next `commit`,
   * which records a merge commit; conflicted paths keep `<<<<<<<` markers.
   */
  merge(commit: string): Promise<{ conflicts: string[] }>;
  /** The unified diff from `commit` to the working copy's HEAD, cut at `maxBytes` (a reviewer's view of the change). */
  diff(commit: string, maxBytes?: number): Promise<{ text: string; truncated: boolean; files: string[] }>;
  /** Deletes the working copy; safe to call twice. */
  dispose(): Promise<void>;
}

export interface WorkspaceProvider {
  /** Creates the feature branch from `baseBranch` if missing, then a working copy on a new task branch cut from it. */
  open(request: WorkspaceRequest): Promise<Workspace>;
}

/** Opens a workspace, runs fn in it, and always disposes of it, also when fn throws. */
export async function withWorkspace<T>(
  provider: WorkspaceProvider,
  request: WorkspaceRequest,
  fn: (workspace: Workspace) => Promise<T>,
): Promise<T> {
  const workspace = await provider.open(request);
  try {
    return await fn(workspace);
  } finally {
    await workspace.dispose();
  }
}

export class WorkspacePathError extends DomainError {
  readonly code = 'workspace_path';
  constructor(readonly path: string) {
    super(`path ${JSON.stringify(path)} is not a file inside the workspace`);
  }
}

export class PushRejectedError extends DomainError {
  readonly code = 'push_rejected';
  constructor(
    readonly repo: string,
    readonly branch: string,
    readonly reason: string,
  ) {
    super(`push of ${branch} to ${repo} was rejected: ${reason}`);
  }
}

/** Trailer keys git accepts and that fit on one line. */
export const trailerKeySchema = z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, 'must be a trailer key like "Co-authored-by"');
export const trailerValueSchema = z.string().min(1).max(1_000).regex(/^[^\r\n]*$/, 'must be one line');
