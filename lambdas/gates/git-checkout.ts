import { lstat, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realpath } from 'node:fs/promises';
import parseDiff from 'parse-diff';
import { DomainError } from '../core/errors.js';
import type { ChangedFile } from '../core/gate-policy.js';
import { createGitRunner, GitCommandError, text, type GitRunner } from '../adapters/local-git/git-cli.js';

/** git's well-known empty tree: the base of a root commit. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** `--repo`, `--base` or `--head` does not name what it should. */
export class GateInputError extends DomainError {
  readonly code = 'gate_input';
}

const git: GitRunner = createGitRunner({ timeoutMs: 120_000 });

export async function assertRepository(repoDir: string): Promise<void> {
  try {
    await git(['rev-parse', '--git-dir'], { cwd: repoDir });
  } catch (error) {
    throw new GateInputError(`${repoDir} is not a git repository`, { cause: error });
  }
}

/** The commit a ref names, refusing anything that is not one (an option-like "-x", a tree, a typo). */
export async function resolveCommit(repoDir: string, ref: string): Promise<string> {
  if (ref.startsWith('-')) throw new GateInputError(`"${ref}" is not a commit`);
  try {
    return text(await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: repoDir }));
  } catch (error) {
    throw new GateInputError(`"${ref}" is not a commit in ${repoDir}`, { cause: error });
  }
}

/**
 * The base a change is measured against when none is given: where `head`
 * left the default branch (origin/HEAD, else main, else master); when `head`
 * is on the default branch itself, its parent; for a root commit, the empty tree.
 */
export async function defaultBase(repoDir: string, head: string): Promise<string> {
  for (const candidate of ['refs/remotes/origin/HEAD', 'refs/heads/main', 'refs/heads/master']) {
    const branch = await git(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`], { cwd: repoDir, okCodes: [0, 1] });
    if (branch.code !== 0) continue;
    const mergeBase = await git(['merge-base', text(branch), head], { cwd: repoDir, okCodes: [0, 1] });
    if (mergeBase.code === 0 && text(mergeBase) !== head) return text(mergeBase);
    break;
  }
  const parent = await git(['rev-parse', '--verify', '--quiet', `${head}^`], { cwd: repoDir, okCodes: [0, 1] });
  return parent.code === 0 ? text(parent) : EMPTY_TREE;
}

/** A file's content at a commit, or undefined when it is not there. */
export async function readAtCommit(repoDir: string, commit: string, path: string): Promise<string | undefined> {
  if (commit === EMPTY_TREE) return undefined;
  const result = await git(['cat-file', '-p', `${commit}:${path}`], { cwd: repoDir, okCodes: [0, 128] });
  return result.code === 0 ? result.stdout.toString('utf8') : undefined;
}

export interface Checkout {
  /** Real path of the working tree at `head`. */
  readonly dir: string;
  dispose(): Promise<void>;
}

/**
 * A private working tree at `commit`: a local clone (objects hard-linked, so
 * every commit of the source is there, branch or not) that the gates may
 * dirty freely. The source repository, its index and its worktree list are
 * never touched.
 */
export async function checkoutCommit(repoDir: string, commit: string): Promise<Checkout> {
  const parent = await realpath(await mkdtemp(join(tmpdir(), 'dsf-gate-')));
  const dir = join(parent, 'work');
  const dispose = () => rm(parent, { recursive: true, force: true });
  try {
    await git(['clone', '--quiet', '--no-checkout', '--', repoDir, dir]);
    await git(['checkout', '--quiet', '--detach', commit], { cwd: dir });
    await reuseInstalledDependencies(repoDir, dir);
    return { dir, dispose };
  } catch (error) {
    await dispose();
    throw error instanceof GitCommandError ? new GateInputError(`cannot check out ${commit}: ${error.message}`, { cause: error }) : error;
  }
}

/**
 * A repository whose node_modules is installed for the same package.json and
 * lockfile as the commit under test lends it to the checkout (a symlink), so
 * `dsf gate` on a developer's repository needs no network and no install.
 */
async function reuseInstalledDependencies(repoDir: string, dir: string): Promise<void> {
  const installed = join(repoDir, 'node_modules');
  if (!(await lstat(installed).catch(() => undefined))?.isDirectory()) return;
  for (const manifest of ['package.json', 'package-lock.json']) {
    const [theirs, ours] = await Promise.all([readFile(join(repoDir, manifest), 'utf8').catch(() => ''), readFile(join(dir, manifest), 'utf8').catch(() => '')]);
    if (theirs !== ours) return;
  }
  await symlink(installed, join(dir, 'node_modules'), 'dir');
}

/** The files and added lines between two commits, read in any clone that has both. */
export async function readChangedFiles(dir: string, base: string, head: string): Promise<ChangedFile[]> {
  const diff = await git(['diff', '--no-color', '--no-ext-diff', '--find-renames', '--unified=0', base, head, '--'], { cwd: dir });
  return parseDiff(diff.stdout.toString('utf8')).map((file) => {
    const path = (file.deleted ? file.from : file.to) ?? file.from ?? '';
    const addedLines = file.chunks.flatMap((chunk) => chunk.changes.flatMap((change) => (change.type === 'add' ? [{ line: change.ln, text: change.content.slice(1) }] : [])));
    const status: ChangedFile['status'] = file.new ? 'added' : file.deleted ? 'deleted' : file.from !== file.to ? 'renamed' : 'modified';
    return {
      path,
      status,
      binary: file.chunks.length === 0 && file.additions === 0 && file.deletions === 0 && status !== 'renamed',
      additions: file.additions,
      deletions: file.deletions,
      addedLines,
    };
  });
}
