import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  computeDiffCoverage,
  decideClean,
  decideCommand,
  decideCoverage,
  decideDiffCoverage,
  decideDiffSize,
  decideSast,
  decideSecrets,
  decideTests,
  failedGate,
  gateReportSchema,
  lastLines,
  mergeGateConfig,
  reportPassed,
  skippedGate,
  type ChangedFile,
  type Finding,
  type GateConfig,
  type GateConfigOverrides,
  type GateDecision,
  type GateName,
  type GateReport,
  type GateResult,
  type TestOutcome,
} from '../core/gate-policy.js';
import { loadGateConfig } from './config-file.js';
import { assertRepository, checkoutCommit, defaultBase, EMPTY_TREE, readChangedFiles, resolveCommit } from './git-checkout.js';
import { detectProject, type ProjectPlan } from './project-detection.js';
import { findPythonWith, findPytest } from './python-tools.js';
import { banditScan, blackCheck, eslintRecommended, eslintSecurity, isScript, secretScan, typescriptCheck } from './static-analysis.js';
import { combinedOutput, runShellCommand } from './subprocess.js';
import { runTestSuite, type TestRun } from './test-runs.js';

export interface RunGatesOptions {
  /** Any local git repository; it is only read (a private clone is made of `head`). */
  readonly repoDir: string;
  /** Commit-ish the change is measured against; EMPTY_TREE for "everything is new". */
  readonly base: string;
  /** Commit-ish under test. */
  readonly head: string;
  readonly signal?: AbortSignal;
  /** Applied on top of the repository's config file, section by section. */
  readonly overrides?: GateConfigOverrides;
}

/**
 * Runs every gate on `head` against `base` and returns the report. Throws
 * GateInputError for a path or ref that is not what it should be and
 * GateConfigError for an invalid config file; a gate that cannot run is a
 * failed gate in the report, not an exception.
 */
export async function runGates(options: RunGatesOptions): Promise<GateReport> {
  const startedAt = new Date();
  await assertRepository(options.repoDir);
  const head = await resolveCommit(options.repoDir, options.head);
  const base = options.base === EMPTY_TREE ? EMPTY_TREE : await resolveCommit(options.repoDir, options.base);
  const { config: fileConfig, file: configFile } = await loadGateConfig(options.repoDir, base);
  const config = mergeGateConfig(fileConfig, options.overrides);

  const checkout = await checkoutCommit(options.repoDir, head);
  const scratchDir = await mkdtemp(join(tmpdir(), 'dsf-gate-scratch-'));
  try {
    const files = await readChangedFiles(checkout.dir, base, head);
    const plan = await detectProject(checkout.dir, config);
    const ctx: GateContext = { dir: checkout.dir, scratchDir, config, files, plan, timeoutMs: config.timeouts.commandSeconds * 1_000, ...(options.signal ? { signal: options.signal } : {}) };

    const setup = await timed('setup', () => runSetup(ctx));
    const setupFailed = setup.status === 'failed';
    // Independent gates run together; the static ones need no installed dependencies, so they run even when setup failed.
    const [testGates, lint, typecheck, sast, secrets] = await Promise.all([
      timedMany(['tests', 'coverage', 'diff-coverage'], () => (setupFailed ? skippedAll(['tests', 'coverage', 'diff-coverage'], 'setup failed') : runTestGates(ctx))),
      timed('lint', () => runLint(ctx, setupFailed)),
      timed('typecheck', () => runTypecheck(ctx, setupFailed)),
      timed('sast', () => runSast(ctx)),
      timed('secrets', async () => {
        const scan = await secretScan(ctx.dir, files);
        return decideSecrets(scan.findings, config.secrets.maxFindings, scan.scanned);
      }),
    ]);
    const diffSize = await timed('diff-size', async () => decideDiffSize(files, config.diff));
    if (options.signal?.aborted) throw options.signal.reason;

    const gates: GateResult[] = [setup, ...testGates, lint, typecheck, sast, secrets, diffSize];
    return gateReportSchema.parse({
      passed: reportPassed(gates),
      base,
      head,
      project: { kind: plan.kind, testRunner: plan.test?.runner ?? null },
      configFile,
      config,
      gates,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
    });
  } finally {
    await Promise.all([checkout.dispose(), rm(scratchDir, { recursive: true, force: true })]);
  }
}

/** The range `dsf gate` checks when not told: HEAD against where it left the default branch (see defaultBase). */
export async function resolveGateRange(repoDir: string, refs: { base?: string; head?: string }): Promise<{ base: string; head: string }> {
  await assertRepository(repoDir);
  const head = await resolveCommit(repoDir, refs.head ?? 'HEAD');
  const base = refs.base === undefined ? await defaultBase(repoDir, head) : await resolveCommit(repoDir, refs.base);
  return { base, head };
}

interface GateContext {
  readonly dir: string;
  readonly scratchDir: string;
  readonly config: GateConfig;
  readonly files: readonly ChangedFile[];
  readonly plan: ProjectPlan;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

const processOptions = (ctx: GateContext) => ({ cwd: ctx.dir, timeoutMs: ctx.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
const existingFiles = (ctx: GateContext, test: (path: string) => boolean) =>
  ctx.files.filter((file) => file.status !== 'deleted' && !file.binary && test(file.path)).map((file) => file.path);
const isPython = (path: string) => path.endsWith('.py');
const plural = (n: number, what: string) => `${n} changed ${what} file${n === 1 ? '' : 's'}`;

async function timed(gate: GateName, decide: () => Promise<GateDecision>): Promise<GateResult> {
  const started = Date.now();
  const decision = await decide().catch((error: unknown) => failedGate(gate, `could not run: ${error instanceof Error ? error.message : String(error)}`));
  return { ...decision, durationMs: Date.now() - started };
}

async function timedMany(gates: readonly GateName[], decide: () => Promise<GateDecision[]>): Promise<GateResult[]> {
  const started = Date.now();
  const decisions = await decide().catch((error: unknown) => {
    const reason = `could not run: ${error instanceof Error ? error.message : String(error)}`;
    return gates.map((gate, i) => (i === 0 ? failedGate(gate, reason) : skippedGate(gate, 'the tests could not run')));
  });
  return decisions.map((decision) => ({ ...decision, durationMs: Date.now() - started }));
}

const skippedAll = async (gates: readonly GateName[], reason: string): Promise<GateDecision[]> => gates.map((gate) => skippedGate(gate, reason));

async function runSetup(ctx: GateContext): Promise<GateDecision> {
  if (ctx.plan.install === null) return skippedGate('setup', 'nothing to install');
  const result = await runShellCommand(ctx.plan.install, processOptions(ctx));
  if (result.code === 0) return { gate: 'setup', status: 'passed', value: null, threshold: null, unit: null, summary: `\`${ctx.plan.install}\` succeeded`, findings: [] };
  return failedGate('setup', `\`${ctx.plan.install}\` ${result.timedOut ? 'timed out' : `exited ${result.code}`}`, [{ message: lastLines(combinedOutput(result), 20) }]);
}

async function runTestGates(ctx: GateContext): Promise<GateDecision[]> {
  const { plan, config } = ctx;
  if (plan.test === null) {
    if (plan.kind === 'unknown') return skippedAll(['tests', 'coverage', 'diff-coverage'], 'no test command (set commands.test in .dsf.json)');
    return [
      failedGate('tests', `no tests: add a test script${plan.kind === 'node' ? ' to package.json' : ''} or commands.test to .dsf.json`),
      skippedGate('coverage', 'no tests ran'),
      skippedGate('diff-coverage', 'no tests ran'),
    ];
  }
  const python = plan.test.runner === 'pytest' ? await findPytest() : null;
  const run = await runTestSuite(plan.test, {
    dir: ctx.dir,
    scratchDir: ctx.scratchDir,
    timeoutMs: ctx.timeoutMs,
    python,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(config.coverage.file ? { coverageFile: config.coverage.file } : {}),
  });
  const tests = decideTests(await settleFailures(run, config.tests.flakyRetries));
  const noCoverage = python && !python.hasCoverage ? 'pytest-cov is not installed' : 'the test run produced no coverage report';
  const coverage = run.coverage ? decideCoverage(run.coverage.totals, config.coverage.lines) : skippedGate('coverage', noCoverage);
  const diffCoverage = run.coverage?.lines
    ? decideDiffCoverage(computeDiffCoverage(ctx.files, run.coverage.lines), config.coverage.diffLines)
    : skippedGate('diff-coverage', run.coverage ? 'the coverage report has no per-line data' : noCoverage);
  return [tests, coverage, diffCoverage];
}

/**
 * Re-runs each failing test on its own up to `retries` times: one that then
 * passes is flaky (reported, not blocking); one that keeps failing is a
 * failure. When the runner names no failing test, the whole command is re-run.
 */
export async function settleFailures(run: TestRun, retries: number): Promise<TestOutcome> {
  const failed: Finding[] = [];
  const flaky: Finding[] = [];
  const finding = (test: { name: string; file?: string; line?: number }, note: string): Finding => ({
    ...(test.file ? { file: test.file } : {}),
    ...(test.line ? { line: test.line } : {}),
    message: test.name,
    rule: note,
  });
  const retry = async (test: Parameters<TestRun['rerun']>[0]) => {
    for (let attempt = 1; attempt <= retries; attempt += 1) {
      if (await run.rerun(test)) return attempt;
    }
    return 0;
  };
  if (run.failing.length > 0) {
    for (const test of run.failing) {
      const passedOn = await retry(test);
      if (passedOn > 0) flaky.push(finding(test, `flaky: passed on re-run ${passedOn}`));
      else failed.push(finding(test, retries > 0 ? `failed ${retries + 1} times` : 'failed'));
    }
  } else if (run.exitCode !== 0) {
    const whole = { name: `\`${run.description}\` ${run.timedOut ? 'timed out' : `exited ${run.exitCode}`}` };
    const passedOn = run.timedOut ? 0 : await retry(null);
    if (passedOn > 0) flaky.push(finding(whole, `flaky: passed on re-run ${passedOn}`));
    else failed.push(finding(whole, 'test command failed'), { message: lastLines(run.output, 30) });
  }
  return { failed, flaky, total: run.total };
}

async function runLint(ctx: GateContext, setupFailed: boolean): Promise<GateDecision> {
  const lint = ctx.plan.lint;
  if (lint === null) return skippedGate('lint', 'no linter for this project (set commands.lint in .dsf.json)');
  switch (lint.kind) {
    case 'command': {
      if (setupFailed) return skippedGate('lint', 'setup failed');
      const result = await runShellCommand(lint.command, processOptions(ctx));
      return decideCommand('lint', lint.command, result.code, combinedOutput(result));
    }
    case 'eslint': {
      const files = existingFiles(ctx, isScript);
      return decideClean('lint', await eslintRecommended(ctx.dir, files, ctx.plan.moduleType), plural(files.length, 'JS/TS'));
    }
    case 'black': {
      const files = existingFiles(ctx, isPython);
      if (files.length === 0) return decideClean('lint', [], plural(0, 'Python'));
      const python = await findPythonWith(['black']);
      if (python === null) return skippedGate('lint', 'black is not installed');
      const check = await blackCheck(python, ctx.dir, files, processOptions(ctx));
      if (check.failed && check.findings.length === 0) return failedGate('lint', 'black failed', [{ message: lastLines(check.output, 20) }]);
      return decideClean('lint', check.findings, plural(files.length, 'Python'));
    }
    case 'tsc':
      return skippedGate('lint', 'tsc is not a linter');
  }
}

async function runTypecheck(ctx: GateContext, setupFailed: boolean): Promise<GateDecision> {
  const typecheck = ctx.plan.typecheck;
  if (typecheck === null) {
    return skippedGate('typecheck', ctx.plan.kind === 'node' ? 'no tsconfig.json or jsconfig.json' : 'no type checker configured (set commands.typecheck in .dsf.json)');
  }
  if (setupFailed) return skippedGate('typecheck', 'setup failed');
  if (typecheck.kind === 'command') {
    const result = await runShellCommand(typecheck.command, processOptions(ctx));
    return decideCommand('typecheck', typecheck.command, result.code, combinedOutput(result));
  }
  if (typecheck.kind !== 'tsc') return skippedGate('typecheck', 'no type checker for this project');
  const check = await typescriptCheck(ctx.dir, typecheck.project, processOptions(ctx));
  if (check.failed && check.findings.length === 0) return failedGate('typecheck', `tsc -p ${typecheck.project} failed`, [{ message: lastLines(check.output, 20) }]);
  return decideClean('typecheck', check.findings, `the project (tsc -p ${typecheck.project})`);
}

/** SAST by file type, whatever the project kind: a Python script in a Node repository is still scanned. */
async function runSast(ctx: GateContext): Promise<GateDecision> {
  const scripts = existingFiles(ctx, isScript);
  const pythonFiles = existingFiles(ctx, isPython);
  const findings: Finding[] = [];
  const scopes: string[] = [];
  if (scripts.length > 0) {
    findings.push(...(await eslintSecurity(ctx.dir, scripts, ctx.plan.moduleType)));
    scopes.push(plural(scripts.length, 'JS/TS'));
  }
  if (pythonFiles.length > 0) {
    const python = await findPythonWith(['bandit']);
    if (python === null) {
      if (scripts.length === 0) return skippedGate('sast', 'bandit is not installed');
    } else {
      findings.push(...(await banditScan(python, ctx.dir, pythonFiles, processOptions(ctx))));
      scopes.push(plural(pythonFiles.length, 'Python'));
    }
  }
  return decideSast(findings, ctx.config.sast, scopes.length === 0 ? 'no changed JS/TS or Python files' : scopes.join(' and '));
}

export { renderGateReportMarkdown } from '../core/gate-policy.js';
