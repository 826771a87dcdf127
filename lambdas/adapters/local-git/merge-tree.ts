import type { ConflictFile } from '../../ports/git-host.js';
import type { GitRunner } from './git-cli.js';

export interface MergeSide {
  /** Branch name, used to label conflict markers. */
  readonly branch: string;
  readonly commit: string;
}

export type TreeMerge = { readonly kind: 'clean'; readonly tree: string } | { readonly kind: 'conflict'; readonly paths: string[]; readonly files: ConflictFile[] };

/** Marker lines of a conflicted file: `<<<<<<< <label>`, `||||||| <label>`, `>>>>>>> <label>`. */
const MARKER_LABEL = /^(<{7}|\|{7}|>{7}) ([0-9a-f]{40}(?:[0-9a-f]{24})?)/gm;

/**
 * Three-way merges two commits inside a (bare) repository without a working
 * tree: `git merge-tree --write-tree`. Clean: the merged tree, ready for
 * commit-tree. Conflicted: the paths and, from the same merge's tree, the files
 * with their conflict markers. Nothing is written but unreferenced objects.
 *
 * Merged by commit id rather than branch name, so the result is exactly the
 * merge of the commits the caller read (and will record as parents); the
 * markers are then relabelled with the branch names people know.
 * Also what the GitHub host needs for conflict details, which its merge API does not give.
 */
export async function mergeTrees(git: GitRunner, gitDir: string, target: MergeSide, source: MergeSide): Promise<TreeMerge> {
  const merge = await git(['merge-tree', '--write-tree', '--name-only', '-z', '--no-messages', target.commit, source.commit], {
    cwd: gitDir,
    okCodes: [0, 1],
  });
  const [tree = '', ...names] = merge.stdout.toString('utf8').split('\0');
  if (merge.code === 0) return { kind: 'clean', tree };

  const paths = [...new Set(names.filter(Boolean))].sort();
  const labels = new Map([
    [target.commit, target.branch],
    [source.commit, source.branch],
  ]);
  const files: ConflictFile[] = [];
  for (const path of paths) {
    // A path can be conflicted yet absent from the result (both sides renamed it, say): then there is no file to show.
    const blob = await git(['cat-file', 'blob', `${tree}:${path}`], { cwd: gitDir, okCodes: [0, 128] });
    if (blob.code !== 0) continue;
    const content = blob.stdout
      .toString('utf8')
      .replace(MARKER_LABEL, (line, marker: string, sha: string) => (labels.has(sha) ? `${marker} ${labels.get(sha)}` : line));
    files.push({ path, content });
  }
  return { kind: 'conflict', paths, files };
}
