import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { DEFAULT_COVERAGE_FILES, parseLcov, readCoverageFile, type CoverageData } from './coverage-reports.js';
import type { TestPlan } from './project-detection.js';
import { combinedOutput, runProcess, runShellCommand, type ProcessResult } from './subprocess.js';

export interface FailingTest {
  readonly name: string;
  readonly file?: string;
  readonly line?: number;
}

export interface TestRun {
  readonly exitCode: number;
  readonly timedOut: boolean;
  /** Tests run, when the runner reports it. */
  readonly total: number | null;
  /** The failing tests the runner named; empty when it cannot name them. */
  readonly failing: readonly FailingTest[];
  readonly coverage: CoverageData | undefined;
  readonly output: string;
  /** How this run was started, for the report. */
  readonly description: string;
  /** Runs one failing test on its own (or, given null, the whole command again); true when it passes. */
  rerun(test: FailingTest | null): Promise<boolean>;
}

export interface TestRunContext {
  /** The checkout. */
  readonly dir: string;
  /** A directory outside the checkout for reports. */
  readonly scratchDir: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** A Python with pytest, for pytest plans. */
  readonly python: { readonly command: string; readonly hasCoverage: boolean } | null;
  /** Where a custom command leaves coverage (.dsf config `coverage.file`). */
  readonly coverageFile?: string;
}

export class TestToolMissingError extends Error {
  constructor(readonly tool: string) {
    super(`${tool} is not installed`);
    this.name = 'TestToolMissingError';
  }
}

export async function runTestSuite(plan: TestPlan, ctx: TestRunContext): Promise<TestRun> {
  switch (plan.runner) {
    case 'node-test':
      return runNodeTest(plan.args, ctx);
    case 'vitest':
    case 'jest':
      return runJestLike(plan, ctx);
    case 'pytest':
      return runPytest(ctx);
    case 'command':
      return runCommand(plan.command, ctx);
  }
}

const processOptions = (ctx: TestRunContext) => ({ cwd: ctx.dir, timeoutMs: ctx.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The `node --test` arguments with the factory's reporters inserted right after `--test` (before any file arguments). */
export function nodeTestArgs(args: readonly string[], lcovPath: string): string[] {
  const at = args.indexOf('--test');
  const reporters = ['--experimental-test-coverage', '--test-reporter=tap', '--test-reporter-destination=stdout', '--test-reporter=lcov', `--test-reporter-destination=${lcovPath}`];
  return [...args.slice(0, at + 1), ...reporters, ...args.slice(at + 1)];
}

async function runNodeTest(args: readonly string[], ctx: TestRunContext): Promise<TestRun> {
  const lcovPath = join(ctx.scratchDir, 'node-test.lcov');
  const result = await runProcess(process.execPath, nodeTestArgs(args, lcovPath), processOptions(ctx));
  const tap = parseTap(result.stdout, ctx.dir);
  const lcov = await readFile(lcovPath, 'utf8').catch(() => undefined);
  return {
    ...outcome(result),
    total: tap.total,
    failing: tap.failing,
    coverage: lcov === undefined ? undefined : parseLcov(lcov, ctx.dir),
    description: `node ${args.join(' ')}`,
    rerun: async (test) => {
      const again =
        test === null
          ? await runProcess(process.execPath, args, processOptions(ctx))
          : await runProcess(
              process.execPath,
              ['--test', '--test-reporter=tap', `--test-name-pattern=${escapeRegExp(test.name)}`, ...(test.file ? [test.file] : [])],
              processOptions(ctx),
            );
      if (again.code !== 0) return false;
      const rerunTap = parseTap(again.stdout, ctx.dir);
      return test === null || (rerunTap.passed ?? 0) > 0;
    },
  };
}

/**
 * The failing leaf tests of a node:test TAP stream. A suite that failed only
 * because a subtest did (failureType subtestsFailed) is not a test of its own.
 */
export function parseTap(tap: string, rootDir: string): { failing: FailingTest[]; total: number | null; passed: number | null } {
  const lines = tap.split('\n');
  const failing: FailingTest[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const match = /^(\s*)not ok \d+ - (.*?)(?: # (?:SKIP|TODO).*)?$/.exec(lines[i]!);
    if (!match) continue;
    const indent = match[1]!.length;
    let location: string | undefined;
    let aggregate = false;
    for (let j = i + 1; j < lines.length; j += 1) {
      const line = lines[j]!;
      if (line.trim() === '...' && line.length - line.trimStart().length === indent + 2) break;
      const loc = /^\s*location: '(.*)'$/.exec(line);
      if (loc && location === undefined) location = loc[1];
      if (/^\s*failureType: 'subtestsFailed'/.test(line)) aggregate = true;
    }
    if (aggregate) continue;
    const name = match[2]!.replace(/\\#/g, '#').replace(/\\\\/g, '\\');
    const where = location ? /^(.*):(\d+):\d+$/.exec(location) : null;
    const file = where ? relativePath(where[1]!, rootDir) : undefined;
    failing.push({ name, ...(file ? { file } : {}), ...(where ? { line: Number(where[2]) } : {}) });
  }
  const total = /^# tests (\d+)$/m.exec(tap);
  const passed = /^# pass (\d+)$/m.exec(tap);
  return { failing, total: total ? Number(total[1]) : null, passed: passed ? Number(passed[1]) : null };
}

const jestJsonSchema = z.object({
  numTotalTests: z.number(),
  numPassedTests: z.number(),
  testResults: z.array(
    z.object({
      name: z.string(),
      assertionResults: z.array(z.object({ status: z.string(), fullName: z.string(), location: z.object({ line: z.number() }).nullish() })),
    }),
  ),
});

async function runJestLike(plan: Extract<TestPlan, { runner: 'vitest' | 'jest' }>, ctx: TestRunContext): Promise<TestRun> {
  const jsonPath = join(ctx.scratchDir, `${plan.runner}.json`);
  const coverageDir = join(ctx.scratchDir, `${plan.runner}-coverage`);
  const reportArgs =
    plan.runner === 'vitest'
      ? ['run', ...plan.args, '--reporter=default', '--reporter=json', `--outputFile.json=${jsonPath}`]
      : [...plan.args, '--json', `--outputFile=${jsonPath}`];
  const coverageArgs = !plan.coverage
    ? []
    : plan.runner === 'vitest'
      ? ['--coverage.enabled=true', '--coverage.reporter=lcov', `--coverage.reportsDirectory=${coverageDir}`]
      : ['--coverage', '--coverageReporters=lcov', `--coverageDirectory=${coverageDir}`];
  const result = await runProcess(plan.bin, [...reportArgs, ...coverageArgs], processOptions(ctx));
  if (result.notFound) throw new TestToolMissingError(plan.runner);
  const report = jestJsonSchema.safeParse(await readJson(jsonPath));
  const failing = report.success
    ? report.data.testResults.flatMap((file) =>
        file.assertionResults
          .filter((test) => test.status === 'failed')
          .map((test) => ({ name: test.fullName, file: relativePath(file.name, ctx.dir), ...(test.location ? { line: test.location.line } : {}) })),
      )
    : [];
  return {
    ...outcome(result),
    total: report.success ? report.data.numTotalTests : null,
    failing,
    coverage: plan.coverage ? await readCoverageFile(join(coverageDir, 'lcov.info'), ctx.dir) : undefined,
    description: `${plan.runner} ${plan.args.join(' ')}`.trim(),
    rerun: async (test) => {
      const rerunJson = join(ctx.scratchDir, `${plan.runner}-rerun.json`);
      const args =
        test === null
          ? reportArgs
          : plan.runner === 'vitest'
            ? ['run', ...(test.file ? [test.file] : []), '-t', escapeRegExp(test.name), '--reporter=json', `--outputFile.json=${rerunJson}`]
            : [...(test.file ? [test.file] : []), '-t', escapeRegExp(test.name), '--json', `--outputFile=${rerunJson}`];
      const again = await runProcess(plan.bin, args, processOptions(ctx));
      if (again.code !== 0) return false;
      if (test === null) return true;
      const rerunReport = jestJsonSchema.safeParse(await readJson(rerunJson));
      return rerunReport.success && rerunReport.data.numPassedTests > 0;
    },
  };
}

async function runPytest(ctx: TestRunContext): Promise<TestRun> {
  if (ctx.python === null) throw new TestToolMissingError('pytest');
  const python = ctx.python.command;
  // pytest-cov 4 writes lcov but not JSON; lcov is what the Node runners write too.
  const coverageLcov = join(ctx.scratchDir, 'pytest.lcov');
  const base = ['-m', 'pytest', '-q', '-rfE', '-p', 'no:cacheprovider'];
  const coverageArgs = ctx.python.hasCoverage ? ['--cov=.', `--cov-report=lcov:${coverageLcov}`] : [];
  // coverage.py keeps its data file in the working directory unless told otherwise.
  const env = { COVERAGE_FILE: join(ctx.scratchDir, '.coverage') };
  const result = await runProcess(python, [...base, ...coverageArgs], { ...processOptions(ctx), env });
  const failing = [...result.stdout.matchAll(/^(?:FAILED|ERROR) (\S+?)(?: - .*)?$/gm)].map((match) => {
    const nodeId = match[1]!;
    return { name: nodeId, file: nodeId.split('::')[0]! };
  });
  const counts = /(?:(\d+) failed)?(?:, )?(?:(\d+) passed)?[^\n]* in [\d.]+s/.exec(result.stdout);
  const total = counts && (counts[1] || counts[2]) ? Number(counts[1] ?? 0) + Number(counts[2] ?? 0) : null;
  return {
    ...outcome(result),
    total,
    failing,
    coverage: ctx.python.hasCoverage ? await readCoverageFile(coverageLcov, ctx.dir) : undefined,
    description: 'pytest',
    rerun: async (test) => {
      const again = await runProcess(python, [...base, ...(test === null ? [] : [test.name])], { ...processOptions(ctx), env });
      return again.code === 0;
    },
  };
}

async function runCommand(command: string, ctx: TestRunContext): Promise<TestRun> {
  const result = await runShellCommand(command, processOptions(ctx));
  let coverage: CoverageData | undefined;
  for (const file of ctx.coverageFile ? [ctx.coverageFile] : DEFAULT_COVERAGE_FILES) {
    coverage = await readCoverageFile(file, ctx.dir);
    if (coverage) break;
  }
  return {
    ...outcome(result),
    total: null,
    failing: [],
    coverage,
    description: command,
    rerun: async () => (await runShellCommand(command, processOptions(ctx))).code === 0,
  };
}

function outcome(result: ProcessResult) {
  return { exitCode: result.code, timedOut: result.timedOut, output: combinedOutput(result) };
}

function relativePath(path: string, rootDir: string): string {
  const plain = path.startsWith('file://') ? new URL(path).pathname : path;
  return isAbsolute(plain) ? relative(rootDir, plain) : plain;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
