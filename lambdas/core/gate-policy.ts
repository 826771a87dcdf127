import { z } from 'zod';
import { DomainError } from './errors.js';

/**
 * Quality gates, the pure half: the configuration a target repository may
 * declare, the shape of a gate report, the pass/fail decisions and the
 * Markdown rendering. Nothing here runs a process or reads a file; the
 * adapters under lambdas/gates measure and hand their measurements in.
 */

export const gateNames = ['setup', 'tests', 'coverage', 'diff-coverage', 'lint', 'typecheck', 'sast', 'secrets', 'diff-size'] as const;
export const gateNameSchema = z.enum(gateNames);
export type GateName = z.infer<typeof gateNameSchema>;

export const gateStatusSchema = z.enum(['passed', 'failed', 'warning', 'skipped']);
export type GateStatus = z.infer<typeof gateStatusSchema>;

export const severities = ['low', 'medium', 'high'] as const;
export const severitySchema = z.enum(severities);
export type Severity = z.infer<typeof severitySchema>;
const severityRank: Record<Severity, number> = { low: 0, medium: 1, high: 2 };
export const atLeast = (severity: Severity, floor: Severity): boolean => severityRank[severity] >= severityRank[floor];

const percent = z.number().min(0).max(100);
const count = z.int().min(0);
/** A shell command line, run with `sh -c` in the checkout; empty strings would run nothing and pass, so they are refused. */
const commandLine = z.string().trim().min(1).max(2_000);

/**
 * `.dsf.json` / `.dsf.yml` in the target repository. Every field is optional;
 * the defaults are the factory's policy (README, "Quality gates").
 */
export const gateConfigSchema = z.strictObject({
  coverage: z
    .strictObject({
      /** Line coverage of the whole project, in percent. */
      lines: percent.default(80),
      /** Line coverage of the lines the change adds or modifies, in percent. */
      diffLines: percent.default(90),
      /** Where a custom `commands.test` leaves its coverage: an lcov file or coverage.py JSON, relative to the repository root. */
      file: z.string().min(1).optional(),
    })
    .prefault({}),
  tests: z
    .strictObject({
      /** How many times a failing test is re-run on its own before it counts as a real failure. */
      flakyRetries: z.int().min(0).max(10).default(2),
    })
    .prefault({}),
  sast: z
    .strictObject({
      /** Findings at or above this severity in changed files count against the gate. */
      failOn: severitySchema.default('high'),
      maxFindings: count.default(0),
    })
    .prefault({}),
  secrets: z.strictObject({ maxFindings: count.default(0) }).prefault({}),
  diff: z
    .strictObject({
      maxFiles: z.int().min(1).default(50),
      /** Added plus deleted lines, lockfiles not counted. */
      maxLines: z.int().min(1).default(1_500),
    })
    .prefault({}),
  /** The repository's own commands; each replaces the one the factory would detect. */
  commands: z
    .strictObject({
      install: commandLine.optional(),
      test: commandLine.optional(),
      lint: commandLine.optional(),
      typecheck: commandLine.optional(),
    })
    .prefault({}),
  timeouts: z
    .strictObject({
      /** Per command; a command that runs longer is killed and its gate fails. */
      commandSeconds: z.int().min(1).max(3_600).default(600),
    })
    .prefault({}),
});
export type GateConfig = z.infer<typeof gateConfigSchema>;
/** What a caller may override, section by section (runGates' `overrides`). */
export type GateConfigOverrides = { [Section in keyof GateConfig]?: Partial<GateConfig[Section]> };

export const defaultGateConfig: GateConfig = gateConfigSchema.parse({});

/** A config file that is not valid; names the file and the first offending field. */
export class GateConfigError extends DomainError {
  readonly code = 'gate_config';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${field ? `${field}: ` : ''}${problem}`, options);
  }
}

/** Validates a parsed config file's content; `file` is only used in the error. */
export function parseGateConfig(raw: unknown, file: string): GateConfig {
  const parsed = gateConfigSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = [...issue.path, ...(unknownKey === undefined ? [] : [unknownKey])].map(String).join('.');
  throw new GateConfigError(file, path, unknownKey === undefined ? issue.message : 'unknown field');
}

export function mergeGateConfig(config: GateConfig, overrides: GateConfigOverrides = {}): GateConfig {
  const merged = { ...config };
  for (const section of Object.keys(overrides) as (keyof GateConfig)[]) {
    Object.assign(merged, { [section]: { ...config[section], ...overrides[section] } });
  }
  return gateConfigSchema.parse(merged);
}

export const findingSchema = z.object({
  file: z.string().optional(),
  line: z.int().optional(),
  rule: z.string().optional(),
  severity: severitySchema.optional(),
  message: z.string(),
});
export type Finding = z.infer<typeof findingSchema>;

export const gateResultSchema = z.object({
  gate: gateNameSchema,
  status: gateStatusSchema,
  /** What was measured (percent, count or lines, see unit); null when nothing could be measured. */
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  unit: z.enum(['percent', 'count', 'lines']).nullable(),
  summary: z.string(),
  findings: z.array(findingSchema),
  durationMs: z.number().min(0),
});
export type GateResult = z.infer<typeof gateResultSchema>;
/** A decision before it is timed. */
export type GateDecision = Omit<GateResult, 'durationMs'>;

export const projectKindSchema = z.enum(['node', 'python', 'unknown']);
export type ProjectKind = z.infer<typeof projectKindSchema>;

export const gateReportSchema = z.object({
  passed: z.boolean(),
  base: z.string(),
  head: z.string(),
  project: z.object({ kind: projectKindSchema, testRunner: z.string().nullable() }),
  /** The config file the thresholds came from (read at the base commit), or null for the defaults. */
  configFile: z.string().nullable(),
  config: gateConfigSchema,
  gates: z.array(gateResultSchema),
  startedAt: z.string(),
  durationMs: z.number().min(0),
});
export type GateReport = z.infer<typeof gateReportSchema>;

/** The report passes when no gate failed; warnings (a flaky test) and skipped gates do not block. */
export const reportPassed = (gates: readonly GateResult[]): boolean => gates.every((gate) => gate.status !== 'failed');

const MAX_FINDINGS_PER_GATE = 50;
const capped = (findings: readonly Finding[]): Finding[] => findings.slice(0, MAX_FINDINGS_PER_GATE);
const round1 = (n: number) => Math.round(n * 10) / 10;

export function skippedGate(gate: GateName, summary: string): GateDecision {
  return { gate, status: 'skipped', value: null, threshold: null, unit: null, summary, findings: [] };
}

export function failedGate(gate: GateName, summary: string, findings: readonly Finding[] = []): GateDecision {
  return { gate, status: 'failed', value: null, threshold: null, unit: null, summary, findings: capped(findings) };
}

export interface TestOutcome {
  /** Tests that failed and kept failing when re-run alone (or the whole command, when tests cannot be told apart). */
  readonly failed: readonly Finding[];
  /** Tests that failed, then passed when re-run alone. */
  readonly flaky: readonly Finding[];
  /** Tests run, when the runner says; null otherwise. */
  readonly total: number | null;
}

export function decideTests(outcome: TestOutcome): GateDecision {
  const base = { gate: 'tests' as const, value: outcome.failed.length, threshold: 0, unit: 'count' as const };
  const ran = outcome.total === null ? '' : ` of ${outcome.total}`;
  if (outcome.failed.length > 0) {
    const names = outcome.failed.map((f) => f.message).join(', ');
    return { ...base, status: 'failed', summary: `${outcome.failed.length}${ran} failed: ${names}`, findings: capped([...outcome.failed, ...outcome.flaky]) };
  }
  if (outcome.flaky.length > 0) {
    const names = outcome.flaky.map((f) => f.message).join(', ');
    return { ...base, status: 'warning', summary: `passed, but flaky (failed, then passed on re-run): ${names}`, findings: capped(outcome.flaky) };
  }
  return { ...base, status: 'passed', summary: outcome.total === null ? 'all tests passed' : `all ${outcome.total} tests passed`, findings: [] };
}

/** Hits per line, by path relative to the repository root. Lines absent from a file's map are not executable. */
export type LineCoverage = ReadonlyMap<string, ReadonlyMap<number, number>>;

/** Test files and tooling configuration are not what coverage is about; counting them would flatter the number. */
export function isTestOrToolingPath(path: string): boolean {
  const name = path.split('/').at(-1) ?? path;
  return (
    /(^|\/)(tests?|__tests__|spec|__mocks__|node_modules|coverage|dist|build)\//.test(path) ||
    /\.(test|spec)\.[cm]?[jt]sx?$/.test(name) ||
    /^test_.*\.py$|_test\.py$|^conftest\.py$/.test(name) ||
    /\.config\.[cm]?[jt]s$/.test(name) ||
    name.startsWith('.')
  );
}

/** Source a coverage tool could measure; anything else (Markdown, data) has no lines to cover. */
export const isCoverableSource = (path: string): boolean => /\.([cm]?[jt]sx?|py)$/.test(path) && !isTestOrToolingPath(path);

export function projectLineCoverage(coverage: LineCoverage): { covered: number; total: number } {
  let covered = 0;
  let total = 0;
  for (const [path, lines] of coverage) {
    if (!isCoverableSource(path)) continue;
    for (const hits of lines.values()) {
      total += 1;
      if (hits > 0) covered += 1;
    }
  }
  return { covered, total };
}

export function decideCoverage(measured: { covered: number; total: number }, threshold: number): GateDecision {
  const base = { gate: 'coverage' as const, threshold, unit: 'percent' as const, findings: [] };
  if (measured.total === 0) return { ...base, status: 'skipped', value: null, summary: 'no executable source lines were measured' };
  const value = round1((measured.covered / measured.total) * 100);
  const passed = value >= threshold;
  return {
    ...base,
    status: passed ? 'passed' : 'failed',
    value,
    summary: `${value}% of ${measured.total} lines covered (${passed ? 'at least' : 'below'} ${threshold}%)`,
  };
}

export interface ChangedFile {
  readonly path: string;
  readonly status: 'added' | 'modified' | 'deleted' | 'renamed';
  readonly binary: boolean;
  readonly additions: number;
  readonly deletions: number;
  /** Added lines in the head version: line number and text. */
  readonly addedLines: readonly { readonly line: number; readonly text: string }[];
}

const blankOrComment = (text: string): boolean => /^\s*(\/\/.*|#.*|\/\*.*|\*.*|\*\/\s*|[{}()[\];,]*)?\s*$/.test(text);

/**
 * Added lines that a test run executed, over added lines that could have been.
 * A changed source file the tests never loaded is absent from the coverage
 * data; its added lines count as uncovered unless blank or comments.
 */
export function computeDiffCoverage(
  files: readonly ChangedFile[],
  coverage: LineCoverage,
): { covered: number; total: number; uncovered: Finding[] } {
  let covered = 0;
  let total = 0;
  const uncovered: Finding[] = [];
  for (const file of files) {
    if (file.status === 'deleted' || file.binary || !isCoverableSource(file.path)) continue;
    const lines = coverage.get(file.path);
    const missed: number[] = [];
    for (const { line, text } of file.addedLines) {
      const hits = lines ? lines.get(line) : blankOrComment(text) ? undefined : 0;
      if (hits === undefined) continue;
      total += 1;
      if (hits > 0) covered += 1;
      else missed.push(line);
    }
    if (missed.length > 0) uncovered.push({ file: file.path, line: missed[0]!, message: `lines ${lineRanges(missed)} not covered` });
  }
  return { covered, total, uncovered };
}

export function decideDiffCoverage(measured: { covered: number; total: number; uncovered: Finding[] }, threshold: number): GateDecision {
  const base = { gate: 'diff-coverage' as const, threshold, unit: 'percent' as const };
  if (measured.total === 0) return { ...base, status: 'passed', value: null, summary: 'no changed executable lines', findings: [] };
  const value = round1((measured.covered / measured.total) * 100);
  const passed = value >= threshold;
  return {
    ...base,
    status: passed ? 'passed' : 'failed',
    value,
    summary: `${measured.covered} of ${measured.total} changed lines covered (${value}%, ${passed ? 'at least' : 'below'} ${threshold}%)`,
    findings: capped(measured.uncovered),
  };
}

/** Lint and type check: any finding fails. */
export function decideClean(gate: 'lint' | 'typecheck', findings: readonly Finding[], scope: string): GateDecision {
  const base = { gate, value: findings.length, threshold: 0, unit: 'count' as const, findings: capped(findings) };
  if (findings.length === 0) return { ...base, status: 'passed', summary: `no problems in ${scope}` };
  return { ...base, status: 'failed', summary: `${findings.length} problem${findings.length === 1 ? '' : 's'} in ${scope}` };
}

/** Lint or type check by the repository's own command: only its exit code is trusted. */
export function decideCommand(gate: 'lint' | 'typecheck', command: string, exitCode: number, output: string): GateDecision {
  if (exitCode === 0) return { gate, status: 'passed', value: 0, threshold: 0, unit: 'count', summary: `\`${command}\` passed`, findings: [] };
  return {
    gate,
    status: 'failed',
    value: null,
    threshold: 0,
    unit: 'count',
    summary: `\`${command}\` exited ${exitCode}`,
    findings: output.trim() === '' ? [] : [{ message: lastLines(output, 20) }],
  };
}

/** SAST: findings below `failOn` are listed but do not count. */
export function decideSast(findings: readonly Finding[], policy: GateConfig['sast'], scope: string): GateDecision {
  const counted = findings.filter((f) => atLeast(f.severity ?? 'high', policy.failOn));
  const passed = counted.length <= policy.maxFindings;
  const below = findings.length - counted.length;
  const belowNote = below > 0 ? `; ${below} below ${policy.failOn} listed` : '';
  return {
    gate: 'sast',
    status: passed ? 'passed' : 'failed',
    value: counted.length,
    threshold: policy.maxFindings,
    unit: 'count',
    summary: `${counted.length} finding${counted.length === 1 ? '' : 's'} at or above ${policy.failOn} in ${scope}${belowNote}`,
    findings: capped([...counted, ...findings.filter((f) => !counted.includes(f))]),
  };
}

export function decideSecrets(findings: readonly Finding[], maxFindings: number, scanned: number): GateDecision {
  const passed = findings.length <= maxFindings;
  return {
    gate: 'secrets',
    status: passed ? 'passed' : 'failed',
    value: findings.length,
    threshold: maxFindings,
    unit: 'count',
    summary:
      findings.length === 0
        ? `no secrets in the added lines of ${scanned} file${scanned === 1 ? '' : 's'}`
        : `${findings.length} secret${findings.length === 1 ? '' : 's'} in added lines`,
    findings: capped(findings),
  };
}

/** Lockfiles change by thousands of lines on a routine bump; they count as files, not lines. */
export const isLockfile = (path: string): boolean =>
  /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|Pipfile\.lock|uv\.lock)$/.test(path);

export function decideDiffSize(files: readonly ChangedFile[], limits: GateConfig['diff']): GateDecision {
  const lines = files.filter((f) => !isLockfile(f.path)).reduce((sum, f) => sum + f.additions + f.deletions, 0);
  const tooManyFiles = files.length > limits.maxFiles;
  const tooManyLines = lines > limits.maxLines;
  const findings: Finding[] = [];
  if (tooManyFiles) findings.push({ message: `${files.length} files changed, limit ${limits.maxFiles}` });
  if (tooManyLines) {
    const largest = [...files].sort((a, b) => b.additions + b.deletions - (a.additions + a.deletions)).slice(0, 5);
    findings.push(...largest.map((f) => ({ file: f.path, message: `${f.additions + f.deletions} lines changed` })));
  }
  return {
    gate: 'diff-size',
    status: tooManyFiles || tooManyLines ? 'failed' : 'passed',
    value: lines,
    threshold: limits.maxLines,
    unit: 'lines',
    summary: `${lines} lines in ${files.length} file${files.length === 1 ? '' : 's'} (limits ${limits.maxLines} lines, ${limits.maxFiles} files)`,
    findings,
  };
}

/** Enough of a secret to recognise it in the file, never enough to use it. */
export function maskSecret(value: string): string {
  const visible = value.length >= 16 ? 4 : 0;
  return `${value.slice(0, visible)}${'*'.repeat(Math.max(8, value.length - visible))}`;
}

export function lineRanges(lines: readonly number[]): string {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j += 1;
    ranges.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return ranges.join(', ');
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

const statusIcon: Record<GateStatus, string> = { passed: '✅', failed: '❌', warning: '⚠️', skipped: '⏭️' };
const MARKDOWN_FINDINGS_PER_GATE = 20;

function formatMeasure(value: number | null, unit: GateResult['unit']): string {
  if (value === null) return '–';
  return unit === 'percent' ? `${value}%` : String(value);
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

function formatFinding(finding: Finding): string {
  const where = finding.file ? `\`${finding.file}${finding.line === undefined ? '' : `:${finding.line}`}\` ` : '';
  const tags = [finding.severity, finding.rule].filter(Boolean).join(', ');
  const message = finding.message.includes('\n') ? `\n\n  \`\`\`\n  ${finding.message.replace(/```/g, "'''").split('\n').join('\n  ')}\n  \`\`\`` : finding.message;
  return `- ${where}${tags ? `(${tags}) ` : ''}${message}`;
}

/** The report as Markdown: a PR body section or a GitHub check run's summary. */
export function renderGateReportMarkdown(report: GateReport): string {
  const failed = report.gates.filter((g) => g.status === 'failed');
  const warned = report.gates.filter((g) => g.status === 'warning');
  const verdict = report.passed
    ? `✅ All gates passed${warned.length > 0 ? ` (${warned.length} warning${warned.length === 1 ? '' : 's'})` : ''}`
    : `❌ ${failed.length} gate${failed.length === 1 ? '' : 's'} failed: ${failed.map((g) => g.gate).join(', ')}`;
  const lines = [
    '## Quality gates',
    '',
    `**${verdict}**`,
    '',
    `Commit \`${report.head.slice(0, 12)}\` against base \`${report.base.slice(0, 12)}\` · ${report.project.kind} project` +
      `${report.project.testRunner ? ` (${report.project.testRunner})` : ''} · thresholds from ${report.configFile ? `\`${report.configFile}\`` : 'the defaults'}`,
    '',
    '| Gate | Status | Value | Threshold | Summary |',
    '|---|---|---|---|---|',
    ...report.gates.map(
      (g) =>
        `| ${g.gate} | ${statusIcon[g.status]} ${g.status} | ${formatMeasure(g.value, g.unit)} | ${formatMeasure(g.threshold, g.unit)} | ${cell(g.summary)} |`,
    ),
  ];
  for (const gate of report.gates.filter((g) => g.findings.length > 0)) {
    lines.push('', `### ${statusIcon[gate.status]} ${gate.gate}`, '');
    lines.push(...gate.findings.slice(0, MARKDOWN_FINDINGS_PER_GATE).map(formatFinding));
    const more = gate.findings.length - MARKDOWN_FINDINGS_PER_GATE;
    if (more > 0) lines.push(`- … and ${more} more`);
  }
  return `${lines.join('\n')}\n`;
}
