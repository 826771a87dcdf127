import { describe, expect, it } from 'vitest';
import {
  computeDiffCoverage,
  decideCoverage,
  decideDiffSize,
  decideSast,
  decideTests,
  defaultGateConfig,
  GateConfigError,
  gateReportSchema,
  maskSecret,
  mergeGateConfig,
  parseGateConfig,
  renderGateReportMarkdown,
  type ChangedFile,
  type GateReport,
} from '../../lambdas/core/gate-policy.js';
import { parseConfigText } from '../../lambdas/gates/config-file.js';
import { recognizeTestScript } from '../../lambdas/gates/project-detection.js';
import { scrubbedEnvironment } from '../../lambdas/gates/subprocess.js';
import { nodeTestArgs, parseTap } from '../../lambdas/gates/test-runs.js';

const changed = (path: string, added: [number, string][], status: ChangedFile['status'] = 'modified'): ChangedFile => ({
  path,
  status,
  binary: false,
  additions: added.length,
  deletions: 0,
  addedLines: added.map(([line, text]) => ({ line, text })),
});

describe('gate config', () => {
  it('has the documented defaults', () => {
    expect(defaultGateConfig).toMatchObject({
      coverage: { lines: 80, diffLines: 90 },
      tests: { flakyRetries: 2 },
      sast: { failOn: 'high', maxFindings: 0 },
      secrets: { maxFindings: 0 },
      diff: { maxFiles: 50, maxLines: 1_500 },
      timeouts: { commandSeconds: 600 },
    });
  });

  it('names the file and the field of a bad value', () => {
    expect(() => parseGateConfig({ coverage: { lines: 120 } }, '.dsf.yml')).toThrow(GateConfigError);
    expect(() => parseGateConfig({ coverage: { lines: 120 } }, '.dsf.yml')).toThrow(/^\.dsf\.yml: coverage\.lines: .*100/);
  });

  it('names an unknown field instead of ignoring a typo', () => {
    expect(() => parseGateConfig({ sast: { failon: 'low' } }, '.dsf.json')).toThrow('.dsf.json: sast.failon: unknown field');
  });

  it('refuses a file that does not parse, naming it', () => {
    expect(() => parseConfigText('.dsf.json', '{ nope')).toThrow(/^\.dsf\.json: is not valid JSON/);
    expect(parseConfigText('.dsf.yml', 'coverage:\n  lines: 70\n')).toEqual({ coverage: { lines: 70 } });
  });

  it('merges overrides section by section, keeping the rest', () => {
    const merged = mergeGateConfig(parseGateConfig({ coverage: { lines: 70 } }, '.dsf.json'), { coverage: { diffLines: 50 } });
    expect(merged.coverage).toEqual({ lines: 70, diffLines: 50 });
    expect(merged.diff.maxLines).toBe(1_500);
  });
});

describe('gate decisions', () => {
  it('fails coverage below the threshold and passes at it', () => {
    expect(decideCoverage({ covered: 79, total: 100 }, 80)).toMatchObject({ status: 'failed', value: 79, threshold: 80 });
    expect(decideCoverage({ covered: 80, total: 100 }, 80)).toMatchObject({ status: 'passed', value: 80 });
  });

  it('counts the added lines of a source file no test loaded as uncovered, but not its blanks and comments', () => {
    const result = computeDiffCoverage([changed('src/new.js', [[1, '// why'], [2, 'export const x = 1;'], [3, ''], [4, '}']], 'added')], new Map());
    expect(result).toEqual({ covered: 0, total: 1, uncovered: [{ file: 'src/new.js', line: 2, message: 'lines 2 not covered' }] });
  });

  it('ignores test files and non-source files in diff coverage', () => {
    const files = [changed('test/a.test.js', [[1, 'x()']]), changed('README.md', [[1, 'text']]), changed('tests/test_a.py', [[1, 'x()']])];
    expect(computeDiffCoverage(files, new Map()).total).toBe(0);
  });

  it('lists SAST findings below the severity floor without failing on them', () => {
    const decision = decideSast([{ message: 'object injection', severity: 'low' }], { failOn: 'high', maxFindings: 0 }, '1 changed JS/TS file');
    expect(decision).toMatchObject({ status: 'passed', value: 0 });
    expect(decision.findings).toHaveLength(1);
    expect(decideSast([{ message: 'eval', severity: 'high' }], { failOn: 'high', maxFindings: 0 }, 'x').status).toBe('failed');
    expect(decideSast([{ message: 'regex', severity: 'medium' }], { failOn: 'medium', maxFindings: 0 }, 'x').status).toBe('failed');
  });

  it('fails the diff size on too many files even when the lines are few, and does not count lockfile lines', () => {
    const many = Array.from({ length: 3 }, (_, i) => changed(`f${i}.txt`, [[1, 'x']]));
    expect(decideDiffSize(many, { maxFiles: 2, maxLines: 100 }).status).toBe('failed');
    const lock = { ...changed('package-lock.json', []), additions: 5_000 };
    expect(decideDiffSize([lock], { maxFiles: 2, maxLines: 100 })).toMatchObject({ status: 'passed', value: 0 });
  });

  it('warns on flaky tests and fails on real failures', () => {
    expect(decideTests({ failed: [], flaky: [{ message: 'sometimes' }], total: 3 }).status).toBe('warning');
    expect(decideTests({ failed: [{ message: 'always' }], flaky: [], total: 3 }).status).toBe('failed');
  });

  it('masks a secret, keeping at most its first four characters', () => {
    expect(maskSecret('wJalrXUtnFEMIK7MDENGbPxRfiCY')).toBe(`wJal${'*'.repeat(24)}`);
    expect(maskSecret('short')).toBe('********');
  });
});

describe('gate report Markdown', () => {
  const report: GateReport = gateReportSchema.parse({
    passed: false,
    base: 'a'.repeat(40),
    head: 'b'.repeat(40),
    project: { kind: 'node', testRunner: 'node-test' },
    configFile: '.dsf.yml',
    config: defaultGateConfig,
    gates: [
      { gate: 'tests', status: 'warning', value: 0, threshold: 0, unit: 'count', summary: 'passed, but flaky: a | b', findings: [{ file: 't.js', line: 3, message: 'a | b' }], durationMs: 5 },
      { gate: 'coverage', status: 'failed', value: 71.5, threshold: 80, unit: 'percent', summary: 'low', findings: [], durationMs: 5 },
    ],
    startedAt: new Date(0).toISOString(),
    durationMs: 10,
  });

  it('has the verdict, a row per gate with value and threshold, and the findings', () => {
    const markdown = renderGateReportMarkdown(report);
    expect(markdown).toContain('**❌ 1 gate failed: coverage**');
    expect(markdown).toContain('| coverage | ❌ failed | 71.5% | 80% | low |');
    expect(markdown).toContain('| tests | ⚠️ warning | 0 | 0 | passed, but flaky: a \\| b |');
    expect(markdown).toContain('- `t.js:3` a | b');
    expect(markdown).toContain('thresholds from `.dsf.yml`');
  });
});

describe('gate adapters (pure parts)', () => {
  it('drops credentials and the caller’s test tooling from a child environment', () => {
    const env = scrubbedEnvironment({ PATH: '/bin', AWS_REGION: 'x', GITHUB_TOKEN: 't', NPM_TOKEN: 'n', API_KEY: 'k', DB_SECRET: 's', NODE_OPTIONS: '--x', HOME: '/h' });
    expect(env).toMatchObject({ PATH: '/bin', HOME: '/h', CI: 'true' });
    for (const name of ['AWS_REGION', 'GITHUB_TOKEN', 'NPM_TOKEN', 'API_KEY', 'DB_SECRET', 'NODE_OPTIONS']) expect(env).not.toHaveProperty(name);
  });

  it('recognizes plain runner scripts and leaves compound ones to npm', () => {
    expect(recognizeTestScript('node --test')).toEqual({ runner: 'node-test', args: ['--test'] });
    expect(recognizeTestScript('vitest run --dir src')).toMatchObject({ runner: 'vitest', args: ['--dir', 'src'] });
    expect(recognizeTestScript('tsc && node --test')).toBeNull();
    expect(recognizeTestScript('mocha')).toBeNull();
  });

  it('puts the reporters before the file arguments of node --test', () => {
    expect(nodeTestArgs(['--test', 'test/a.test.js'], '/tmp/l.info')).toEqual([
      '--test',
      '--experimental-test-coverage',
      '--test-reporter=tap',
      '--test-reporter-destination=stdout',
      '--test-reporter=lcov',
      '--test-reporter-destination=/tmp/l.info',
      'test/a.test.js',
    ]);
  });

  it('reads failing leaf tests from TAP, not the suites that contain them', () => {
    const tap = [
      '# Subtest: grp',
      '    # Subtest: inner \\# one',
      '    not ok 1 - inner \\# one',
      '      ---',
      "      location: '/repo/test/a.test.js:6:30'",
      "      failureType: 'testCodeFailure'",
      '      ...',
      'not ok 1 - grp',
      '  ---',
      "  location: '/repo/test/a.test.js:5:1'",
      "  failureType: 'subtestsFailed'",
      '  ...',
      '# tests 1',
      '# pass 0',
    ].join('\n');
    expect(parseTap(tap, '/repo')).toEqual({ failing: [{ name: 'inner # one', file: 'test/a.test.js', line: 6 }], total: 1, passed: 0 });
  });
});
