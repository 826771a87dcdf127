import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateNames, type GateName, type GateReport, type GateStatus } from '../../lambdas/core/gate-policy.js';
import { runGates } from '../../lambdas/gates/run-gates.js';
import {
  buildNodeFixture,
  buildPythonFixture,
  NODE_VARIANTS,
  PLANTED_AWS_SECRET_KEY,
  PYTHON_VARIANTS,
  type GateFixture,
} from '../support/gate-fixtures.js';
import { removeTempDirs } from '../support/local-git.js';

/**
 * Each planted problem is caught by its own gate and by nothing else: the
 * variant's report differs from the clean change's in exactly one gate.
 */
const statuses = (report: GateReport): Record<GateName, GateStatus> =>
  Object.fromEntries(report.gates.map((gate) => [gate.gate, gate.status])) as Record<GateName, GateStatus>;
const gate = (report: GateReport, name: GateName) => report.gates.find((g) => g.gate === name)!;

function expectOnlyGate(report: GateReport, clean: GateReport, name: GateName, status: GateStatus): void {
  expect({ [name]: statuses(report)[name] }).toEqual({ [name]: status });
  const others = (r: GateReport) => Object.fromEntries(Object.entries(statuses(r)).filter(([g]) => g !== name));
  expect(others(report)).toEqual(others(clean));
  expect(report.passed).toBe(status !== 'failed');
}

let node: GateFixture;
let python: GateFixture;
const reports = new Map<string, Promise<GateReport>>();
/** One run per fixture commit, shared by the tests that look at it. */
function reportFor(fixture: GateFixture, variant: string): Promise<GateReport> {
  const key = `${fixture.dir}:${variant}`;
  if (!reports.has(key)) reports.set(key, runGates({ repoDir: fixture.dir, base: fixture.base, head: fixture.commits[variant]! }));
  return reports.get(key)!;
}

beforeAll(async () => {
  [node, python] = await Promise.all([buildNodeFixture(), buildPythonFixture()]);
});
afterAll(() => removeTempDirs());

describe.concurrent('quality gates on a Node repository (node:test, checkJs, no lint or typecheck script)', () => {
  it('passes every gate on a clean, tested change', async () => {
    const report = await reportFor(node, 'clean');
    expect(report.passed).toBe(true);
    expect(report.project).toEqual({ kind: 'node', testRunner: 'node-test' });
    expect(report.gates.map((g) => g.gate)).toEqual([...gateNames]);
    expect(statuses(report)).toEqual({
      setup: 'skipped',
      tests: 'passed',
      coverage: 'passed',
      'diff-coverage': 'passed',
      lint: 'passed',
      typecheck: 'passed',
      sast: 'passed',
      secrets: 'passed',
      'diff-size': 'passed',
    });
    expect(gate(report, 'tests').summary).toBe('all 6 tests passed');
    expect(gate(report, 'diff-coverage').value).toBe(100);
    expect(gate(report, 'lint').summary).toContain('2 changed JS/TS files');
  });

  it('fails the tests gate on a failing test, naming it', async () => {
    const report = await reportFor(node, 'failing-test');
    expectOnlyGate(report, await reportFor(node, 'clean'), 'tests', 'failed');
    expect(gate(report, 'tests').findings[0]).toMatchObject({ file: 'test/math.test.js', message: 'add is wrong', rule: 'failed 3 times' });
  });

  it('passes a flaky test with a warning that names it', async () => {
    const report = await reportFor(node, 'flaky-test');
    expectOnlyGate(report, await reportFor(node, 'clean'), 'tests', 'warning');
    expect(gate(report, 'tests').summary).toContain('sometimes fails');
    expect(gate(report, 'tests').findings[0]).toMatchObject({ file: 'test/flaky.test.js', rule: 'flaky: passed on re-run 1' });
  });

  it('fails the coverage gate when the project falls below 80 %', async () => {
    const report = await reportFor(node, 'low-coverage');
    expectOnlyGate(report, await reportFor(node, 'clean'), 'coverage', 'failed');
    expect(gate(report, 'coverage').value).toBeLessThan(80);
    expect(gate(report, 'coverage').threshold).toBe(80);
  });

  it('fails diff coverage on changed lines no test runs, naming them', async () => {
    const report = await reportFor(node, 'uncovered-lines');
    expectOnlyGate(report, await reportFor(node, 'clean'), 'diff-coverage', 'failed');
    expect(gate(report, 'diff-coverage').findings).toEqual([{ file: 'src/math.js', line: 19, message: 'lines 19-21 not covered' }]);
    expect(gate(report, 'coverage').value).toBeGreaterThanOrEqual(80);
  });

  it('fails lint with the factory ESLint when the repository has no lint script', async () => {
    const report = await reportFor(node, 'lint-error');
    expectOnlyGate(report, await reportFor(node, 'clean'), 'lint', 'failed');
    expect(gate(report, 'lint').findings).toEqual([expect.objectContaining({ file: 'src/math.js', line: 17, rule: 'no-unused-vars' })]);
  });

  it('fails the type check through jsconfig.json (checkJs)', async () => {
    const report = await reportFor(node, 'type-error');
    expectOnlyGate(report, await reportFor(node, 'clean'), 'typecheck', 'failed');
    expect(gate(report, 'typecheck').findings).toEqual([expect.objectContaining({ file: 'src/math.js', line: 18, rule: 'TS2322' })]);
  });

  it('fails SAST on eval of an argument', async () => {
    const report = await reportFor(node, 'eval-input');
    expectOnlyGate(report, await reportFor(node, 'clean'), 'sast', 'failed');
    expect(gate(report, 'sast').findings[0]).toMatchObject({ file: 'src/calc.js', line: 3, rule: 'security/detect-eval-with-expression', severity: 'high' });
  });

  it('fails the secrets gate on a hard-coded AWS key, by file and line, with the value masked', async () => {
    const report = await reportFor(node, 'aws-key');
    expectOnlyGate(report, await reportFor(node, 'clean'), 'secrets', 'failed');
    const [finding] = gate(report, 'secrets').findings;
    expect(finding).toMatchObject({ file: 'src/math.js', line: 19, rule: 'AWSSecretAccessKey' });
    expect(finding!.message).toMatch(/^AWSSecretAccessKey wJal\*+$/);
    expect(JSON.stringify(report)).not.toContain(PLANTED_AWS_SECRET_KEY);
  });

  it('fails the diff-size gate on a runaway diff', async () => {
    const report = await reportFor(node, 'oversized-diff');
    expectOnlyGate(report, await reportFor(node, 'clean'), 'diff-size', 'failed');
    expect(gate(report, 'diff-size')).toMatchObject({ value: 2_000, threshold: 1_500 });
  });

  it('covers every planted Node variant above', () => {
    expect(Object.keys(NODE_VARIANTS)).toHaveLength(10);
  });
});

describe.concurrent('quality gates on a Python repository (pytest, pytest-cov, black, bandit)', () => {
  it('passes every gate on a clean, tested change', async () => {
    const report = await reportFor(python, 'clean');
    expect(report.project).toEqual({ kind: 'python', testRunner: 'pytest' });
    expect(statuses(report)).toEqual({
      setup: 'skipped',
      tests: 'passed',
      coverage: 'passed',
      'diff-coverage': 'passed',
      lint: 'passed',
      typecheck: 'skipped',
      sast: 'passed',
      secrets: 'passed',
      'diff-size': 'passed',
    });
    expect(report.passed).toBe(true);
  });

  it('fails the tests gate on a failing test, naming it', async () => {
    const report = await reportFor(python, 'failing-test');
    expectOnlyGate(report, await reportFor(python, 'clean'), 'tests', 'failed');
    expect(gate(report, 'tests').findings[0]).toMatchObject({ file: 'tests/test_ops.py', message: 'tests/test_ops.py::test_add_is_wrong' });
  });

  it('passes a flaky test with a warning that names it', async () => {
    const report = await reportFor(python, 'flaky-test');
    expectOnlyGate(report, await reportFor(python, 'clean'), 'tests', 'warning');
    expect(gate(report, 'tests').summary).toContain('tests/test_flaky.py::test_sometimes_fails');
  });

  it('fails diff coverage on changed lines no test runs', async () => {
    const report = await reportFor(python, 'uncovered-lines');
    expectOnlyGate(report, await reportFor(python, 'clean'), 'diff-coverage', 'failed');
    expect(gate(report, 'diff-coverage').findings).toEqual([{ file: 'calc/ops.py', line: 10, message: 'lines 10-11 not covered' }]);
  });

  it('fails lint when black would reformat a changed file', async () => {
    const report = await reportFor(python, 'lint-error');
    expectOnlyGate(report, await reportFor(python, 'clean'), 'lint', 'failed');
    expect(gate(report, 'lint').findings).toEqual([{ file: 'calc/ops.py', rule: 'black', message: 'not formatted with black' }]);
  });

  it('fails SAST on eval of an argument (bandit B307, rated high)', async () => {
    const report = await reportFor(python, 'eval-input');
    expectOnlyGate(report, await reportFor(python, 'clean'), 'sast', 'failed');
    expect(gate(report, 'sast').findings[0]).toMatchObject({ file: 'calc/evaluate.py', line: 2, severity: 'high' });
  });

  it('fails the secrets gate on a hard-coded AWS key', async () => {
    const report = await reportFor(python, 'aws-key');
    expectOnlyGate(report, await reportFor(python, 'clean'), 'secrets', 'failed');
    expect(gate(report, 'secrets').findings[0]).toMatchObject({ file: 'calc/ops.py', line: 10 });
    expect(JSON.stringify(report)).not.toContain(PLANTED_AWS_SECRET_KEY);
  });

  it('covers every planted Python variant above', () => {
    expect(Object.keys(PYTHON_VARIANTS)).toHaveLength(7);
  });
});
