import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { GateConfig, ProjectKind } from '../core/gate-policy.js';

/** How the tests run: a runner the factory can drive test by test, or an opaque command. */
export type TestPlan =
  | { readonly runner: 'node-test'; readonly args: readonly string[] }
  | { readonly runner: 'vitest' | 'jest'; readonly bin: string; readonly args: readonly string[]; readonly coverage: boolean }
  | { readonly runner: 'pytest' }
  | { readonly runner: 'command'; readonly command: string };

export type CheckPlan =
  /** A command the repository declared (in .dsf.* or package.json); only its exit code is judged. */
  | { readonly kind: 'command'; readonly command: string }
  /** The factory's own ESLint over changed JS/TS files. */
  | { readonly kind: 'eslint' }
  /** black --check over changed Python files. */
  | { readonly kind: 'black' }
  /** The factory's own tsc --noEmit -p <project>. */
  | { readonly kind: 'tsc'; readonly project: string };

export interface ProjectPlan {
  readonly kind: ProjectKind;
  readonly install: string | null;
  readonly test: TestPlan | null;
  readonly lint: CheckPlan | null;
  readonly typecheck: CheckPlan | null;
  /** How .js files are parsed (package.json "type"). */
  readonly moduleType: 'module' | 'commonjs';
}

const packageJsonSchema = z.looseObject({
  type: z.enum(['module', 'commonjs']).optional(),
  scripts: z.record(z.string(), z.string()).optional(),
  dependencies: z.record(z.string(), z.string()).optional(),
  devDependencies: z.record(z.string(), z.string()).optional(),
});

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

const PYTHON_MARKERS = ['pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', 'pytest.ini', 'tox.ini'];

/** Shell syntax means the script is more than one runner invocation, so the factory must not take it apart. */
const SHELL_SYNTAX = /[|&;<>()$`\\"'*?[\]{}~]/;

/**
 * The runner behind a package.json `test` script, when the script is just
 * that runner with plain arguments: then the factory runs it itself, adding
 * reporters to learn which tests failed and coverage to measure them.
 */
export function recognizeTestScript(script: string): TestPlan | null {
  if (SHELL_SYNTAX.test(script)) return null;
  const tokens = script.trim().split(/\s+/);
  const [program, ...args] = tokens;
  if (program === 'node' && args.includes('--test')) return { runner: 'node-test', args };
  if (program === 'vitest') return { runner: 'vitest', bin: 'vitest', args: args[0] === 'run' ? args.slice(1) : args, coverage: false };
  if (program === 'jest') return { runner: 'jest', bin: 'jest', args, coverage: false };
  return null;
}

/** The project's kind and the command for each gate; the repository's own declarations win over detection. */
export async function detectProject(dir: string, config: GateConfig): Promise<ProjectPlan> {
  const commands = config.commands;
  const declared = (command: string | undefined): CheckPlan | null => (command === undefined ? null : { kind: 'command', command });

  if (await exists(join(dir, 'package.json'))) {
    const raw = await readFile(join(dir, 'package.json'), 'utf8');
    const parsed = packageJsonSchema.safeParse(safeJson(raw));
    const pkg = parsed.success ? parsed.data : {};
    const scripts = pkg.scripts ?? {};
    const hasDependencies = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).length > 0;
    const installed = await exists(join(dir, 'node_modules'));
    const lockfile = await exists(join(dir, 'package-lock.json'));
    const install =
      commands.install ??
      (hasDependencies && !installed ? (lockfile ? 'npm ci --ignore-scripts --no-audit --no-fund' : 'npm install --ignore-scripts --no-audit --no-fund') : null);
    return {
      kind: 'node',
      install,
      test: commands.test !== undefined ? { runner: 'command', command: commands.test } : await nodeTestPlan(dir, scripts['test']),
      lint: declared(commands.lint) ?? (scripts['lint'] ? { kind: 'command', command: 'npm run --silent lint' } : { kind: 'eslint' }),
      typecheck:
        declared(commands.typecheck) ??
        (scripts['typecheck']
          ? { kind: 'command', command: 'npm run --silent typecheck' }
          : scripts['tsc']
            ? { kind: 'command', command: 'npm run --silent tsc' }
            : await tscProject(dir)),
      moduleType: pkg.type ?? 'commonjs',
    };
  }

  const markers = await Promise.all(PYTHON_MARKERS.map((marker) => exists(join(dir, marker))));
  const topLevel = await readdir(dir).catch(() => [] as string[]);
  if (markers.some(Boolean) || topLevel.some((name) => name.endsWith('.py'))) {
    return {
      kind: 'python',
      install: commands.install ?? null,
      test: commands.test !== undefined ? { runner: 'command', command: commands.test } : { runner: 'pytest' },
      lint: declared(commands.lint) ?? { kind: 'black' },
      typecheck: declared(commands.typecheck),
      moduleType: 'commonjs',
    };
  }

  return {
    kind: 'unknown',
    install: commands.install ?? null,
    test: commands.test !== undefined ? { runner: 'command', command: commands.test } : null,
    lint: declared(commands.lint),
    typecheck: declared(commands.typecheck),
    moduleType: 'commonjs',
  };
}

async function nodeTestPlan(dir: string, script: string | undefined): Promise<TestPlan | null> {
  // npm init's placeholder fails on purpose; it is the same as having no tests.
  if (script === undefined || /no test specified/.test(script)) return null;
  const recognized = recognizeTestScript(script);
  if (recognized === null) return { runner: 'command', command: 'npm test --silent' };
  if (recognized.runner === 'vitest' || recognized.runner === 'jest') {
    const bin = join(dir, 'node_modules', '.bin', recognized.bin);
    const coverage =
      recognized.runner === 'jest' ||
      (await exists(join(dir, 'node_modules', '@vitest', 'coverage-v8'))) ||
      (await exists(join(dir, 'node_modules', '@vitest', 'coverage-istanbul')));
    return { ...recognized, bin, coverage };
  }
  return recognized;
}

async function tscProject(dir: string): Promise<CheckPlan | null> {
  for (const project of ['tsconfig.json', 'jsconfig.json']) {
    if (await exists(join(dir, project))) return { kind: 'tsc', project };
  }
  return null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}
