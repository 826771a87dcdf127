import { readFile, stat } from 'node:fs/promises';
import { resolveInWorkspace, ToolRefusal, walkWorkspace } from './tools/tool-policy.js';

/**
 * Lines git writes around a conflicted region. `=======` alone is left out: it
 * is also a Markdown heading underline, and it never appears without the other two.
 */
const MARKER = /^(?:<{7}|>{7}|\|{7})(?: |$)/;
const MAX_FILE_BYTES = 2_000_000;
const MAX_FILES = 20_000;

/** `path:line` of every conflict marker left in `paths` (or, without them, anywhere in the tree). */
export async function findConflictMarkers(root: string, paths?: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const candidates: string[] = [];
  if (paths) candidates.push(...paths);
  else for await (const path of walkWorkspace(root, { limit: MAX_FILES })) candidates.push(path);
  for (const path of candidates) {
    let absolute: string;
    try {
      absolute = (await resolveInWorkspace(root, path)).absolute;
    } catch (error) {
      if (error instanceof ToolRefusal) continue;
      throw error;
    }
    const info = await stat(absolute).catch(() => undefined);
    if (!info?.isFile() || info.size > MAX_FILE_BYTES) continue;
    const bytes = await readFile(absolute);
    if (bytes.includes(0)) continue;
    bytes
      .toString('utf8')
      .split('\n')
      .forEach((line, index) => {
        if (MARKER.test(line)) found.push(`${path}:${index + 1}`);
      });
  }
  return found;
}
