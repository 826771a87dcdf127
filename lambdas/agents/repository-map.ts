import { wrapUntrusted } from './untrusted.js';
import { walkWorkspace } from './tools/tool-policy.js';

export interface RepositoryMapOptions {
  /** Files shown before the map is cut (default 300). */
  readonly maxFiles?: number;
  /** Files listed per directory before the rest are counted instead (default 25). */
  readonly maxPerDirectory?: number;
}

/**
 * A compact view of the repository for the first prompt: directories with
 * their files, bounded so a large repository costs a few hundred lines at most.
 * File names are the repository's, so the map is wrapped as untrusted data.
 */
export async function repositoryMap(root: string, options: RepositoryMapOptions = {}): Promise<string> {
  const maxFiles = options.maxFiles ?? 300;
  const maxPerDirectory = options.maxPerDirectory ?? 25;
  // Walk a little further than shown, so "and N more" counts are honest for the usual repository.
  const scanLimit = maxFiles * 4;
  const byDirectory = new Map<string, string[]>();
  let seen = 0;
  for await (const path of walkWorkspace(root, { limit: scanLimit })) {
    seen++;
    const slash = path.lastIndexOf('/');
    const directory = slash < 0 ? '.' : path.slice(0, slash);
    const list = byDirectory.get(directory) ?? [];
    list.push(slash < 0 ? path : path.slice(slash + 1));
    byDirectory.set(directory, list);
  }
  const lines: string[] = [];
  let shown = 0;
  for (const [directory, files] of [...byDirectory.entries()].sort(([a], [b]) => (a === '.' ? -1 : b === '.' ? 1 : a < b ? -1 : a > b ? 1 : 0))) {
    if (shown >= maxFiles) break;
    const room = Math.min(maxPerDirectory, maxFiles - shown);
    const listed = files.slice(0, room);
    shown += listed.length;
    lines.push(`${directory}/: ${listed.join(', ')}${files.length > listed.length ? `, … and ${files.length - listed.length} more` : ''}`);
  }
  if (seen === 0) lines.push('(no files)');
  if (seen >= scanLimit || shown < seen) lines.push(`(${seen >= scanLimit ? 'more than ' : ''}${seen} files in all; use list_files and search for the rest)`);
  return wrapUntrusted('repository-map', lines.join('\n'));
}
