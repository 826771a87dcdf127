import { spawn } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { wrapUntrusted } from '../untrusted.js';
import type { AgentTool } from './agent-tool.js';
import { ToolFailure, ToolRefusal } from './tool-policy.js';

/**
 * `run` executes the repository's own checks, never a command line the model
 * writes: the model names a script (test, lint, typecheck, build) and the
 * command comes from the repository's package.json (or the Python
 * equivalents), as it was when the session began. The child gets a scrubbed
 * environment, a timeout and a process group we can kill.
 *
 * What this does not do: keep the code under test off the network. Tests run
 * code the model may have written; network isolation is the job of the
 * sandbox the worker runs in, and the prompts promise the model no network.
 */

export const runnableScripts = ['test', 'lint', 'typecheck', 'build'] as const;
export type RunnableScript = (typeof runnableScripts)[number];

export interface AllowedCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** What the model and the transcript see. */
  readonly display: string;
  /** The package.json script lines behind it (pre, main, post), to notice edits during the session; undefined for Python. */
  readonly fingerprint?: string;
}

export interface RunPolicy {
  readonly commands: ReadonlyMap<RunnableScript, AllowedCommand>;
}

const packageJsonSchema = z.object({ scripts: z.record(z.string(), z.string()).optional() });

async function packageScripts(root: string): Promise<Record<string, string> | undefined> {
  const text = await readFile(join(root, 'package.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = packageJsonSchema.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data.scripts ?? {}) : undefined;
  } catch {
    return undefined;
  }
}

const fingerprintOf = (scripts: Record<string, string>, name: string) =>
  JSON.stringify([scripts[`pre${name}`] ?? null, scripts[name] ?? null, scripts[`post${name}`] ?? null]);

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** The allowlist of a repository, read once when the session begins. */
export async function loadRunPolicy(root: string): Promise<RunPolicy> {
  const commands = new Map<RunnableScript, AllowedCommand>();
  const scripts = await packageScripts(root);
  for (const name of runnableScripts) {
    if (scripts?.[name] === undefined) continue;
    commands.set(name, { command: 'npm', args: ['run', '--silent', name], display: `npm run ${name} (${scripts[name]})`, fingerprint: fingerprintOf(scripts, name) });
  }
  const markers = await Promise.all(['pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', 'pytest.ini', 'tox.ini'].map((f) => exists(join(root, f))));
  if (markers.some(Boolean)) {
    const pyproject = await readFile(join(root, 'pyproject.toml'), 'utf8').catch(() => '');
    const python: Partial<Record<RunnableScript, readonly string[]>> = {
      test: ['-m', 'pytest', '-q'],
      lint: ['-m', 'black', '--check', '--quiet', '.'],
      ...((await exists(join(root, 'mypy.ini'))) || pyproject.includes('[tool.mypy]') ? { typecheck: ['-m', 'mypy', '.'] } : {}),
    };
    for (const [name, args] of Object.entries(python) as [RunnableScript, readonly string[]][]) {
      if (!commands.has(name)) commands.set(name, { command: 'python3', args, display: `python3 ${args.join(' ')}` });
    }
  }
  return { commands };
}

/** Variables a child must not inherit: cloud and forge credentials, model keys, the factory's own settings. */
const SECRET_VARIABLES: readonly RegExp[] = [
  /^AWS_/i,
  /^GITHUB_/i,
  /^GH_/i,
  /^ANTHROPIC_/i,
  /^OPENAI_/i,
  /^DSF_/i,
  /_TOKEN$/i,
  /_KEY$/i,
  /_SECRET$/i,
  /PASSWORD/i,
  /_CREDENTIALS?$/i,
  /^NPM_CONFIG__?AUTH/i,
];

export function scrubEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const kept = Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && !SECRET_VARIABLES.some((p) => p.test(entry[0])));
  return {
    ...Object.fromEntries(kept),
    CI: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
}

export interface RunToolOptions {
  readonly policy: RunPolicy;
  /** Kills the command after this long (default 5 minutes). */
  readonly timeoutMs?: number;
  /** Output kept from the start and from the end (default 8 KiB each); the middle is cut. */
  readonly headBytes?: number;
  readonly tailBytes?: number;
  /** The environment before scrubbing (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const runInput = z.strictObject({ script: z.string().min(1).max(100) });

export function createRunTool(options: RunToolOptions): AgentTool {
  const names = [...options.policy.commands.keys()];
  const listing = [...options.policy.commands.entries()].map(([name, c]) => `${name}: ${c.display}`).join('; ');
  return {
    spec: {
      name: 'run',
      description: `Run one of the repository's own scripts and get its exit code and output (long output keeps its head and tail). Only these: ${listing}. No other commands, no shell, no network.`,
      inputSchema: {
        type: 'object',
        properties: { script: { type: 'string', enum: names, description: 'Which script to run.' } },
        required: ['script'],
      },
    },
    async run(input, { root, signal }) {
      const parsed = runInput.safeParse(input);
      if (!parsed.success) {
        throw new ToolRefusal(`run takes only {"script": one of ${names.join(', ') || '(none)'}}; command lines and other fields are refused`);
      }
      const name = parsed.data.script as RunnableScript;
      const allowed = options.policy.commands.get(name);
      if (!allowed) throw new ToolRefusal(`${JSON.stringify(parsed.data.script)} is not an allowed script; allowed: ${names.join(', ') || '(none: this repository defines no test, lint, typecheck or build script)'}`);
      if (allowed.fingerprint !== undefined) {
        const scripts = await packageScripts(root);
        if (!scripts || fingerprintOf(scripts, name) !== allowed.fingerprint) {
          throw new ToolRefusal(`the ${name} script in package.json changed during this session; run only runs scripts as they were when the session began`);
        }
      }
      const result = await runBounded(allowed, {
        cwd: root,
        env: scrubEnvironment(options.env ?? process.env),
        timeoutMs: options.timeoutMs ?? 300_000,
        headBytes: options.headBytes ?? 8_192,
        tailBytes: options.tailBytes ?? 8_192,
        signal,
      });
      const status = result.timedOut ? `timed out after ${Math.round((options.timeoutMs ?? 300_000) / 1000)}s and was killed` : `exit code ${result.exitCode ?? `signal ${result.signal}`}`;
      return { content: `${allowed.display}: ${status}\n${wrapUntrusted(`tool:run:${name}`, result.output)}`, isError: result.timedOut || result.exitCode !== 0 };
    },
  };
}

interface BoundedRun {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly output: string;
}

/** Runs a command in its own process group, keeping the head and tail of its combined output. */
export function runBounded(
  command: AllowedCommand,
  options: { cwd: string; env: Record<string, string>; timeoutMs: number; headBytes: number; tailBytes: number; signal: AbortSignal },
): Promise<BoundedRun> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      // detached: the child leads a process group, so a timeout kills what it started too (test runners fork).
      child = spawn(command.command, [...command.args], { cwd: options.cwd, env: options.env, detached: true, shell: false, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      return reject(new ToolFailure(`could not start ${command.display}: ${(error as Error).message}`));
    }
    const head: Buffer[] = [];
    let headLength = 0;
    let tail: Buffer[] = [];
    let tailLength = 0;
    let total = 0;
    const collect = (chunk: Buffer) => {
      total += chunk.length;
      if (headLength < options.headBytes) {
        const take = chunk.subarray(0, options.headBytes - headLength);
        head.push(take);
        headLength += take.length;
        chunk = chunk.subarray(take.length);
      }
      if (chunk.length === 0) return;
      tail.push(chunk);
      tailLength += chunk.length;
      while (tailLength - (tail[0]?.length ?? 0) >= options.tailBytes) tailLength -= tail.shift()!.length;
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);

    let timedOut = false;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    };
    let forceKill: NodeJS.Timeout | undefined;
    const stop = () => {
      killGroup('SIGTERM');
      forceKill = setTimeout(() => killGroup('SIGKILL'), 2_000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => stop();
    options.signal.addEventListener('abort', onAbort, { once: true });

    child.on('error', (error) => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      reject(new ToolFailure(`could not start ${command.display}: ${error.message}`));
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      clearTimeout(forceKill);
      options.signal.removeEventListener('abort', onAbort);
      // Whatever the leader left behind in its group goes with it.
      killGroup('SIGKILL');
      if (options.signal.aborted) return reject(options.signal.reason);
      let tailBuffer = Buffer.concat(tail);
      if (tailBuffer.length > options.tailBytes) tailBuffer = tailBuffer.subarray(tailBuffer.length - options.tailBytes);
      const kept = headLength + tailBuffer.length;
      const omitted = total - kept;
      const output =
        omitted > 0
          ? `${Buffer.concat(head).toString('utf8')}\n… ${omitted} bytes of output omitted …\n${tailBuffer.toString('utf8')}`
          : Buffer.concat([...head, tailBuffer]).toString('utf8');
      tail = [];
      resolve({ exitCode, signal, timedOut, output });
    });
  });
}
