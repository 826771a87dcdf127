import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { wrapUntrusted } from '../untrusted.js';
import { defineTool, type AgentTool } from './agent-tool.js';
import { ToolFailure, ToolRefusal, resolveInWorkspace, walkWorkspace } from './tool-policy.js';

/** Bounds that keep one tool answer well inside a model's context window. */
export const FILE_TOOL_LIMITS = {
  listDefault: 200,
  listMax: 1_000,
  /** Files larger than this are not read whole or searched. */
  maxFileBytes: 1_000_000,
  /** One read_file answer: at most this many lines and characters; the rest is paged with startLine. */
  readMaxLines: 800,
  readMaxChars: 60_000,
  searchDefault: 50,
  searchMax: 200,
  /** Files the search looks at before giving up, so a huge repository cannot stall a step. */
  searchMaxFiles: 20_000,
  searchLineChars: 300,
  writeMaxChars: 1_000_000,
} as const;

const pathField = z.string().min(1).max(1_000);

const listFilesInput = z.strictObject({
  pattern: z.string().max(500).optional(),
  limit: z.number().int().min(1).max(FILE_TOOL_LIMITS.listMax).optional(),
});

/** `src/` or `src/ro` as a prefix; `*` (within a segment) and `**` (across segments) as a glob. */
function pathMatcher(pattern: string): (path: string) => boolean {
  const normal = pattern.replace(/\\/g, '/').replace(/^\.\//, '');
  if (!normal.includes('*')) return (path) => path.startsWith(normal);
  const source = normal
    .split(/(\*\*\/?|\*)/)
    .map((part) => (part === '**/' ? '(?:.*/)?' : part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const regex = new RegExp(`^${source}$`);
  return (path) => regex.test(path);
}

/** The directory part before the first wildcard: where the walk can start. */
function walkStart(pattern: string): string {
  const beforeWildcard = pattern.split('*')[0] ?? '';
  const slash = beforeWildcard.lastIndexOf('/');
  return slash < 0 ? '' : beforeWildcard.slice(0, slash);
}

export const listFilesTool: AgentTool = defineTool(
  {
    name: 'list_files',
    description:
      'List files of the repository (not .git or node_modules), sorted. `pattern` is a path prefix such as "src/" or a glob such as "src/**/*.ts"; default all files.',
    inputSchema: {
      type: 'object',
      properties: {
        pattern: { type: 'string', description: 'Path prefix or glob, relative to the repository root.' },
        limit: { type: 'integer', description: `At most this many paths (default ${FILE_TOOL_LIMITS.listDefault}, max ${FILE_TOOL_LIMITS.listMax}).` },
      },
    },
  },
  listFilesInput,
  async ({ pattern = '', limit = FILE_TOOL_LIMITS.listDefault }, { root }) => {
    const start = walkStart(pattern);
    // The start directory goes through the same policy as any other path: no `..`, no `.git`.
    const under = start === '' ? '' : (await resolveInWorkspace(root, start)).relative;
    if (pattern !== '' && start === '' && !pattern.includes('*')) await resolveInWorkspace(root, pattern);
    const matches = pathMatcher(pattern);
    const found: string[] = [];
    let more = false;
    for await (const path of walkWorkspace(root, { under, limit: FILE_TOOL_LIMITS.searchMaxFiles })) {
      if (!matches(path)) continue;
      if (found.length >= limit) {
        more = true;
        break;
      }
      found.push(path);
    }
    const body = found.length === 0 ? '(no files match)' : found.join('\n') + (more ? `\n… more files match; narrow the pattern or raise limit` : '');
    return { content: wrapUntrusted('tool:list_files', body) };
  },
);

const readFileInput = z.strictObject({
  path: pathField,
  startLine: z.number().int().min(1).optional(),
  endLine: z.number().int().min(1).optional(),
});

export const readFileTool: AgentTool = defineTool(
  {
    name: 'read_file',
    description: `Read a text file, with line numbers. Long files come back in pages of up to ${FILE_TOOL_LIMITS.readMaxLines} lines; ask for more with startLine/endLine (1-based, inclusive).`,
    inputSchema: {
      type: 'object',
      properties: {
        path: { type: 'string', description: 'Path relative to the repository root.' },
        startLine: { type: 'integer', description: 'First line to read (1-based).' },
        endLine: { type: 'integer', description: 'Last line to read (inclusive).' },
      },
      required: ['path'],
    },
  },
  readFileInput,
  async ({ path, startLine = 1, endLine }, { root }) => {
    const target = await resolveInWorkspace(root, path);
    const info = await stat(target.absolute).catch(() => undefined);
    if (!info) throw new ToolFailure(`${target.relative} does not exist; use list_files to see what does`);
    if (info.isDirectory()) throw new ToolFailure(`${target.relative} is a directory; use list_files with pattern "${target.relative}/"`);
    if (info.size > FILE_TOOL_LIMITS.maxFileBytes) throw new ToolFailure(`${target.relative} is ${info.size} bytes, over the ${FILE_TOOL_LIMITS.maxFileBytes}-byte limit of read_file`);
    const bytes = await readFile(target.absolute);
    if (bytes.includes(0)) throw new ToolFailure(`${target.relative} is a binary file`);
    const lines = bytes.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (endLine !== undefined && endLine < startLine) throw new ToolFailure(`endLine ${endLine} is before startLine ${startLine}`);
    if (startLine > Math.max(lines.length, 1)) throw new ToolFailure(`${target.relative} has ${lines.length} lines; startLine ${startLine} is past the end`);
    const last = Math.min(endLine ?? lines.length, lines.length, startLine + FILE_TOOL_LIMITS.readMaxLines - 1);
    const shown: string[] = [];
    let chars = 0;
    let lineNumber = startLine;
    for (; lineNumber <= last; lineNumber++) {
      const numbered = `${lineNumber}\t${lines[lineNumber - 1] ?? ''}`;
      if (chars + numbered.length > FILE_TOOL_LIMITS.readMaxChars && shown.length > 0) break;
      shown.push(numbered);
      chars += numbered.length + 1;
    }
    const through = lineNumber - 1;
    const header = `${target.relative}: lines ${startLine}-${through} of ${lines.length}`;
    const footer = through < lines.length && (endLine === undefined || through < endLine) ? `\n… continue with startLine ${through + 1}` : '';
    return { content: `${header}\n${wrapUntrusted(`file:${target.relative}`, shown.join('\n'))}${footer}` };
  },
);

const searchInput = z.strictObject({
  query: z.string().min(1).max(1_000),
  regex: z.boolean().optional(),
  caseSensitive: z.boolean().optional(),
  pattern: z.string().max(500).optional(),
  maxResults: z.number().int().min(1).max(FILE_TOOL_LIMITS.searchMax).optional(),
});

export const searchTool: AgentTool = defineTool(
  {
    name: 'search',
    description: 'Search the repository (not .git or node_modules) for text or a regular expression; answers path:line: text.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'Text to find, or a JavaScript regular expression when regex is true.' },
        regex: { type: 'boolean', description: 'Treat query as a regular expression (default false).' },
        caseSensitive: { type: 'boolean', description: 'Default false.' },
        pattern: { type: 'string', description: 'Only files matching this path prefix or glob.' },
        maxResults: { type: 'integer', description: `Default ${FILE_TOOL_LIMITS.searchDefault}, max ${FILE_TOOL_LIMITS.searchMax}.` },
      },
      required: ['query'],
    },
  },
  searchInput,
  async ({ query, regex = false, caseSensitive = false, pattern = '', maxResults = FILE_TOOL_LIMITS.searchDefault }, { root, signal }) => {
    let matcher: RegExp;
    try {
      matcher = new RegExp(regex ? query : query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), caseSensitive ? '' : 'i');
    } catch (error) {
      throw new ToolFailure(`invalid regular expression: ${(error as Error).message}`);
    }
    const start = walkStart(pattern);
    const under = start === '' ? '' : (await resolveInWorkspace(root, start)).relative;
    const inScope = pathMatcher(pattern);
    const hits: string[] = [];
    let more = false;
    files: for await (const path of walkWorkspace(root, { under, limit: FILE_TOOL_LIMITS.searchMaxFiles })) {
      if (signal.aborted) break;
      if (!inScope(path)) continue;
      let target;
      try {
        target = await resolveInWorkspace(root, path);
      } catch (error) {
        if (error instanceof ToolRefusal) continue; // a symbolic link out of the tree: not ours to search
        throw error;
      }
      const info = await stat(target.absolute).catch(() => undefined);
      if (!info?.isFile() || info.size > FILE_TOOL_LIMITS.maxFileBytes) continue;
      const bytes = await readFile(target.absolute);
      if (bytes.includes(0)) continue;
      const lines = bytes.toString('utf8').split('\n');
      for (let index = 0; index < lines.length; index++) {
        // Long lines (minified bundles) are cut before matching, which also bounds a costly pattern.
        const line = (lines[index] ?? '').slice(0, 2_000);
        if (!matcher.test(line)) continue;
        if (hits.length >= maxResults) {
          more = true;
          break files;
        }
        hits.push(`${path}:${index + 1}: ${line.trim().slice(0, FILE_TOOL_LIMITS.searchLineChars)}`);
      }
    }
    const body = hits.length === 0 ? '(no matches)' : hits.join('\n') + (more ? `\n… more matches; narrow the query or pattern` : '');
    return { content: wrapUntrusted('tool:search', body) };
  },
);

const writeFileInput = z.strictObject({ path: pathField, content: z.string().max(FILE_TOOL_LIMITS.writeMaxChars) });

export const writeFileTool: AgentTool = defineTool(
  {
    name: 'write_file',
    description: 'Create or replace a whole file with `content`, creating directories as needed. For a small change to an existing file prefer edit_file.',
    inputSchema: {
      type: 'object',
      properties: {
        path: { type: 'string', description: 'Path relative to the repository root.' },
        content: { type: 'string', description: 'The complete new content of the file.' },
      },
      required: ['path', 'content'],
    },
  },
  writeFileInput,
  async ({ path, content }, { root, changed }) => {
    const target = await resolveInWorkspace(root, path);
    if (target.relative === '') throw new ToolFailure('give a file path, not the repository root');
    const existing = await stat(target.absolute).catch(() => undefined);
    if (existing?.isDirectory()) throw new ToolFailure(`${target.relative} is a directory`);
    await mkdir(dirname(target.absolute), { recursive: true });
    // mkdir may have followed a link created since the check; resolve again before writing.
    const again = await resolveInWorkspace(root, path);
    await writeFile(again.absolute, content);
    changed.add(target.relative);
    return { content: `wrote ${target.relative} (${Buffer.byteLength(content)} bytes)` };
  },
);

const editFileInput = z.strictObject({ path: pathField, search: z.string().min(1), replace: z.string() });

export const editFileTool: AgentTool = defineTool(
  {
    name: 'edit_file',
    description:
      'Replace one exact occurrence of `search` in a file with `replace`. `search` must match the file exactly (whitespace included) and only once; include surrounding lines to make it unique.',
    inputSchema: {
      type: 'object',
      properties: {
        path: { type: 'string', description: 'Path relative to the repository root.' },
        search: { type: 'string', description: 'Exact text to replace; must occur exactly once.' },
        replace: { type: 'string', description: 'Text to put in its place.' },
      },
      required: ['path', 'search', 'replace'],
    },
  },
  editFileInput,
  async ({ path, search, replace }, { root, changed }) => {
    const target = await resolveInWorkspace(root, path);
    const original = await readFile(target.absolute, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new ToolFailure(`${target.relative} does not exist; use write_file to create it`);
      throw error;
    });
    const count = countOccurrences(original, search);
    if (count === 0) {
      throw new ToolFailure(`the search text was not found in ${target.relative} (0 matches); read the file and copy the exact text, whitespace included`);
    }
    if (count > 1) {
      throw new ToolFailure(`the search text is ambiguous in ${target.relative}: it matches ${count} times; include more surrounding lines so it matches once`);
    }
    const at = original.indexOf(search);
    await writeFile(target.absolute, original.slice(0, at) + replace + original.slice(at + search.length));
    changed.add(target.relative);
    return { content: `edited ${target.relative}` };
  },
);

/** Non-overlapping occurrences, as a replace would see them. */
export function countOccurrences(text: string, search: string): number {
  let count = 0;
  for (let at = text.indexOf(search); at >= 0; at = text.indexOf(search, at + search.length)) count++;
  return count;
}
