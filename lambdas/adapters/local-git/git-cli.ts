import { spawn } from 'node:child_process';

export interface GitIdentity {
  readonly name: string;
  readonly email: string;
}

export const DSF_IDENTITY: GitIdentity = { name: 'DSF', email: 'dsf@localhost' };

export interface GitRunOptions {
  /** Working directory; for a bare repository, its path. */
  readonly cwd?: string;
  readonly input?: string | Uint8Array;
  /** Extra variables on top of the minimal environment (e.g. GIT_INDEX_FILE). */
  readonly env?: Readonly<Record<string, string>>;
  /** Exit codes that are answers rather than failures (merge-tree exits 1 on conflict). Default [0]. */
  readonly okCodes?: readonly number[];
}

export interface GitResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs one git command. Injected so tests can watch or interleave commands. */
export type GitRunner = (args: readonly string[], options?: GitRunOptions) => Promise<GitResult>;

export class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    super(`git ${args[0] ?? ''} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${stderr.trim().split('\n').at(-1) ?? ''}`, options);
    this.name = 'GitCommandError';
  }
}

export interface GitRunnerConfig {
  readonly identity?: GitIdentity;
  /** Kills a command that runs longer (default 120 s). */
  readonly timeoutMs?: number;
  /** Transports git may use (GIT_ALLOW_PROTOCOL); default only `file`. A GitHub workspace needs `https`. */
  readonly allowProtocols?: readonly string[];
}

/**
 * The git CLI, spawned with an argument array (never a shell) and a minimal
 * environment: no inherited credentials, helpers, GIT_DIR or user config, no
 * terminal prompts, the C locale (so messages can be matched), and a fixed
 * author and committer.
 */
export function createGitRunner(config: GitRunnerConfig = {}): GitRunner {
  const identity = config.identity ?? DSF_IDENTITY;
  const timeoutMs = config.timeoutMs ?? 120_000;
  const baseEnv: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    // A home that does not exist: no ~/.gitconfig, ~/.config/git/ignore or attributes from whoever runs us.
    HOME: '/nonexistent',
    LANG: 'C',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    // Only the transports asked for: a source like `ext::sh -c …` would otherwise run a command.
    GIT_ALLOW_PROTOCOL: (config.allowProtocols ?? ['file']).join(':'),
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
  return (args, options = {}) =>
    new Promise<GitResult>((resolve, reject) => {
      const child = spawn('git', [...args], {
        cwd: options.cwd,
        env: { ...baseEnv, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        timeout: timeoutMs,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', (error) => reject(new GitCommandError(args, null, error.message, { cause: error })));
      child.on('close', (code, signal) => {
        const stderr = Buffer.concat(err).toString('utf8');
        const exitCode = code ?? -1;
        if (signal !== null || !(options.okCodes ?? [0]).includes(exitCode)) {
          reject(new GitCommandError(args, code, signal ? `killed by ${signal}. ${stderr}` : stderr));
          return;
        }
        resolve({ code: exitCode, stdout: Buffer.concat(out), stderr });
      });
      // A command that exits before reading its stdin closes the pipe; that is not our error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    });
}

/** stdout as text without the trailing newline. */
export const text = (result: GitResult): string => result.stdout.toString('utf8').replace(/\n$/, '');
