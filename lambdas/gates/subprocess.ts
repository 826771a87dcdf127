import { spawn } from 'node:child_process';

/**
 * Every process a gate runs goes through here: an argument array (no shell
 * unless the caller runs `sh -c` on a command the repository declared), a
 * timeout, bounded output, and an environment without credentials, because
 * the code under test is untrusted.
 */
export interface ProcessOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
  /** Added on top of the scrubbed environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Output kept per stream; the rest is dropped with a marker (default 1 MiB). */
  readonly maxOutputBytes?: number;
}

export interface ProcessResult {
  /** Exit code; -1 when killed (timeout, abort) or the program could not start. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** The program does not exist (ENOENT). */
  readonly notFound: boolean;
  readonly durationMs: number;
}

export type ProcessRunner = (command: string, args: readonly string[], options: ProcessOptions) => Promise<ProcessResult>;

const SECRET_NAME = /^(AWS_|GITHUB_|GH_|ACTIONS_|NPM_CONFIG__AUTH|DSF_)|(_TOKEN|_KEY|_SECRET|_PASSWORD|_CREDENTIALS)$|^(TOKEN|KEY|SECRET|PASSWORD)$/i;
/** Set by whoever runs us (vitest, a coverage run) and would change how the target's own tools behave. */
const INHERITED_TOOLING = /^(NODE_OPTIONS|NODE_V8_COVERAGE|VITEST.*|JEST_WORKER_ID|TEST|npm_.*|INIT_CWD|TSX_.*)$/i;

/** The parent's environment without credentials or our own test tooling, plus settings that make tools non-interactive and colourless. */
export function scrubbedEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || SECRET_NAME.test(name) || INHERITED_TOOLING.test(name)) continue;
    kept[name] = value;
  }
  return { ...kept, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', PYTHONDONTWRITEBYTECODE: '1', GIT_TERMINAL_PROMPT: '0' };
}

const DEFAULT_MAX_OUTPUT = 1024 * 1024;

class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    const room = this.max - this.size;
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(kept);
    this.size += kept.length;
    this.dropped += chunk.length - kept.length;
  }
  text(): string {
    const body = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `${body}\n[… ${this.dropped} bytes of output dropped]` : body;
  }
}

export const runProcess: ProcessRunner = (command, args, options) =>
  new Promise<ProcessResult>((resolve) => {
    const started = Date.now();
    const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const out = new BoundedBuffer(max);
    const err = new BoundedBuffer(max);
    let timedOut = false;
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: { ...scrubbedEnvironment(), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      // Its own process group, so a timeout also ends the test runner's children (node --test forks one per file).
      detached: true,
    });
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    const onAbort = () => kill();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    let notFound = false;
    child.on('error', (error: NodeJS.ErrnoException) => {
      notFound = error.code === 'ENOENT';
      err.push(Buffer.from(error.message));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const stderr = err.text();
      resolve({
        code: code ?? -1,
        stdout: out.text(),
        stderr: timedOut ? `${stderr}\n[killed after ${options.timeoutMs} ms]` : stderr,
        timedOut,
        notFound,
        durationMs: Date.now() - started,
      });
    });
  });

/** A command line the repository declared, run by the shell it was written for. */
export const runShellCommand = (commandLine: string, options: ProcessOptions): Promise<ProcessResult> =>
  runProcess('sh', ['-c', commandLine], options);

export const combinedOutput = (result: ProcessResult): string => [result.stdout, result.stderr].filter((s) => s.trim() !== '').join('\n');
