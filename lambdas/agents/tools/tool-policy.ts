import { lstat, readdir, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, posix, relative, sep } from 'node:path';

/**
 * What the tools may touch. Every path a model names passes through
 * `resolveInWorkspace`: relative to the workspace, never into `.git` (the
 * factory commits; hooks there would run on our machine), never a file that
 * usually holds credentials, and — after resolving symbolic links — still
 * inside the workspace.
 */

/** An out-of-policy call: refused, returned to the model as an error, and recorded as a refusal. */
export class ToolRefusal extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ToolRefusal';
  }
}

/** An in-policy call that did not work (file missing, search text absent, tests failing to start). */
export class ToolFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolFailure';
  }
}

/** Directories never listed, searched or mapped: git's own data and installed dependencies (large, not the repository's code). */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['.git', 'node_modules']);

/** Directory names that hold credentials wherever they appear. */
const SECRET_DIRECTORIES = new Set(['.aws', '.ssh', '.gnupg', '.docker', '.kube', '.azure', '.gcloud']);
/** Committed templates of `.env` files carry no values, so they stay readable. */
const ENV_TEMPLATES = new Set(['.env.example', '.env.sample', '.env.template', '.env.dist', '.env.defaults']);
const SECRET_FILE_NAMES = new Set(['.npmrc', '.pypirc', '.netrc', '_netrc', '.git-credentials', 'credentials', 'credentials.json', '.htpasswd', '.pgpass']);
const SECRET_EXTENSIONS = /\.(?:pem|key|p12|pfx|jks|keystore|kdbx|ovpn|tfstate)$/i;
const SSH_KEY = /^id_(?:rsa|dsa|ecdsa|ed25519)(?:[._-].*)?$/i;

/** Why a workspace-relative path is off limits, or undefined when it is not. */
export function offLimitsReason(relativePath: string): string | undefined {
  const segments = relativePath.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.toLowerCase() === '.git')) {
    return `${relativePath} is inside .git, which tools never touch (the factory commits for you)`;
  }
  const secretDirectory = segments.slice(0, -1).find((s) => SECRET_DIRECTORIES.has(s.toLowerCase()));
  if (secretDirectory) return `${relativePath} is inside ${secretDirectory}, which holds credentials; tools never read or write secrets`;
  const name = (segments.at(-1) ?? '').toLowerCase();
  if (SECRET_DIRECTORIES.has(name)) return `${relativePath} holds credentials; tools never read or write secrets`;
  const isEnvFile = (name === '.env' || name.startsWith('.env.')) && !ENV_TEMPLATES.has(name);
  if (isEnvFile || SECRET_FILE_NAMES.has(name) || SECRET_EXTENSIONS.test(name) || SSH_KEY.test(name)) {
    return `${relativePath} looks like a secrets file; tools never read or write secrets`;
  }
  return undefined;
}

export interface WorkspacePath {
  /** The real absolute path to operate on (symbolic links resolved as far as the path exists). */
  readonly absolute: string;
  /** Slash-separated, relative to the workspace root, as the model should name it. */
  readonly relative: string;
}

/**
 * Resolves a path the model gave, or throws ToolRefusal saying why it may not.
 * `root` must already be a real path (see `realWorkspaceRoot`).
 */
export async function resolveInWorkspace(root: string, path: string): Promise<WorkspacePath> {
  if (path.includes('\0')) throw new ToolRefusal('paths with NUL bytes are refused');
  const slashed = path.replace(/\\/g, '/').trim();
  if (slashed === '') throw new ToolFailure('the path is empty; give a file path relative to the workspace root');
  if (slashed.startsWith('~') || isAbsolute(slashed) || /^[A-Za-z]:\//.test(slashed)) {
    throw new ToolRefusal(`${path} is an absolute path; only paths relative to the workspace root are allowed`);
  }
  const normal = posix.normalize(slashed).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) throw new ToolRefusal(`${path} leaves the workspace; only paths inside it are allowed`);
  const relativePath = normal === '.' ? '' : normal;
  const reason = offLimitsReason(relativePath);
  if (reason) throw new ToolRefusal(reason);

  const absolute = relativePath === '' ? root : join(root, ...relativePath.split('/'));
  const real = await realPathAsFarAsItExists(absolute, path);
  const realRelative = relative(root, real);
  if (realRelative === '..' || realRelative.startsWith(`..${sep}`) || isAbsolute(realRelative)) {
    throw new ToolRefusal(`${path} resolves (through a symbolic link) to a place outside the workspace`);
  }
  const realReason = realRelative === '' ? undefined : offLimitsReason(realRelative.split(sep).join('/'));
  if (realReason) throw new ToolRefusal(`${path} is a symbolic link: ${realReason}`);
  return { absolute: real, relative: relativePath };
}

/** The real path of the longest existing prefix, with the rest appended: where a write would land. */
async function realPathAsFarAsItExists(absolute: string, asGiven: string): Promise<string> {
  const rest: string[] = [];
  let current = absolute;
  for (;;) {
    const stat = await lstat(current).catch(() => undefined);
    if (stat) {
      try {
        return join(await realpath(current), ...rest.reverse());
      } catch {
        // The entry exists but cannot be resolved: a link to nowhere, which a write would follow anywhere.
        throw new ToolRefusal(`${asGiven} goes through a symbolic link whose target does not exist`);
      }
    }
    const parent = dirname(current);
    if (parent === current) return absolute;
    rest.push(basename(current));
    current = parent;
  }
}

export async function realWorkspaceRoot(dir: string): Promise<string> {
  return realpath(dir);
}

export interface WalkOptions {
  /** Workspace-relative directory to start in ('' for the root). */
  readonly under?: string;
  /** Stop after this many files. */
  readonly limit: number;
}

/**
 * Files of the workspace in a stable order (sorted, depth first), without
 * `.git`, `node_modules` or secrets files, not following symbolic links to
 * directories. Yields slash-separated relative paths.
 */
export async function* walkWorkspace(root: string, options: WalkOptions): AsyncGenerator<string> {
  let yielded = 0;
  async function* visit(relativeDir: string): AsyncGenerator<string> {
    const entries = await readdir(relativeDir === '' ? root : join(root, ...relativeDir.split('/')), { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (yielded >= options.limit) return;
      const path = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (SKIPPED_DIRECTORIES.has(entry.name) || offLimitsReason(path)) continue;
        yield* visit(path);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && !offLimitsReason(path)) {
        yielded += 1;
        yield path;
      }
    }
  }
  yield* visit(options.under ?? '');
}
