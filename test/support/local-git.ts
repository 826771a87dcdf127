import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createGitRunner, text } from '../../lambdas/adapters/local-git/git-cli.js';
import type { LocalGitHost } from '../../lambdas/adapters/local-git/local-git-host.js';

export const git = createGitRunner({ identity: { name: 'Test', email: 'test@localhost' } });

/** Temp dirs made by a test file, removed by `removeTempDirs` in its afterAll. */
const made: string[] = [];

export async function tempDir(prefix = 'dsf-git-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A non-bare repository with one commit of `files` on `branch`, as a user's project would be. */
export async function makeSourceRepo(files: Record<string, string> = { 'README.md': '# demo\n' }, branch = 'main'): Promise<string> {
  const dir = await tempDir('dsf-src-');
  await git(['init', '--quiet', '--initial-branch', branch, dir]);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await git(['add', '--all'], { cwd: dir });
  await git(['commit', '--quiet', '-m', 'initial commit'], { cwd: dir });
  return dir;
}

/**
 * Commits files on top of a branch of an imported repository without a working
 * copy (a throwaway index, then commit-tree and a compare-and-swap ref update):
 * how the contract tests stand in for "someone pushed to this branch".
 */
export async function commitToBranch(
  host: LocalGitHost,
  repo: string,
  branch: string,
  files: Record<string, string>,
  message = 'change',
): Promise<string> {
  const cwd = await host.gitDir(repo);
  const parent = await host.branchHead(repo, branch);
  const index = join(await tempDir('dsf-index-'), 'index');
  const env = { GIT_INDEX_FILE: index };
  await git(['read-tree', parent], { cwd, env });
  for (const [path, content] of Object.entries(files)) {
    const blob = text(await git(['hash-object', '-w', '--stdin'], { cwd, input: content }));
    await git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { cwd, env });
  }
  const tree = text(await git(['write-tree'], { cwd, env }));
  const commit = text(await git(['commit-tree', tree, '-p', parent, '-m', message], { cwd }));
  await git(['update-ref', `refs/heads/${branch}`, commit, parent], { cwd });
  return commit;
}
