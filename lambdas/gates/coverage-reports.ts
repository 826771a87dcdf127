import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { projectLineCoverage, type LineCoverage } from '../core/gate-policy.js';

/** What a coverage report says: per-line hits when the format has them, and the project totals. */
export interface CoverageData {
  readonly lines: LineCoverage | null;
  readonly totals: { readonly covered: number; readonly total: number };
}

const toRepoPath = (path: string, rootDir: string) => (isAbsolute(path) ? relative(rootDir, path) : path).split('\\').join('/');

/** lcov `SF:` / `DA:line,hits` records (node --test, vitest, jest, c8, nyc all write it). */
export function parseLcov(text: string, rootDir: string): CoverageData {
  const files = new Map<string, Map<number, number>>();
  let current: Map<number, number> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('SF:')) {
      const path = toRepoPath(line.slice(3).trim(), rootDir);
      current = files.get(path) ?? new Map<number, number>();
      files.set(path, current);
    } else if (line.startsWith('DA:') && current) {
      // A third field (a checksum) may follow; coverage.py reports an empty module as line 0.
      const [lineNo, hits] = line.slice(3).split(',').map(Number);
      if (Number.isInteger(lineNo) && lineNo! > 0 && Number.isFinite(hits)) current.set(lineNo!, Math.max(current.get(lineNo!) ?? 0, hits!));
    } else if (line.startsWith('end_of_record')) {
      current = undefined;
    }
  }
  return { lines: files, totals: projectLineCoverage(files) };
}

const coveragePySchema = z.object({
  files: z.record(z.string(), z.object({ executed_lines: z.array(z.int()), missing_lines: z.array(z.int()) })),
});
const istanbulSummarySchema = z.object({ total: z.object({ lines: z.object({ total: z.number(), covered: z.number() }) }) });

/** coverage.py's JSON report (pytest --cov-report=json). */
export function parseCoveragePyJson(json: unknown, rootDir: string): CoverageData {
  const report = coveragePySchema.parse(json);
  const files = new Map<string, Map<number, number>>();
  for (const [path, file] of Object.entries(report.files)) {
    const lines = new Map<number, number>();
    for (const line of file.executed_lines) lines.set(line, 1);
    for (const line of file.missing_lines) lines.set(line, 0);
    files.set(toRepoPath(path, rootDir), lines);
  }
  return { lines: files, totals: projectLineCoverage(files) };
}

/**
 * A coverage file in any format the gates understand: lcov, coverage.py JSON,
 * or istanbul's json-summary (totals only, so no diff coverage). Undefined when
 * the file is absent or in none of them.
 */
export async function readCoverageFile(path: string, rootDir: string): Promise<CoverageData | undefined> {
  const content = await readFile(isAbsolute(path) ? path : join(rootDir, path), 'utf8').catch(() => undefined);
  if (content === undefined) return undefined;
  if (/^(TN:|SF:)/m.test(content)) return parseLcov(content, rootDir);
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return undefined;
  }
  if (coveragePySchema.safeParse(json).success) return parseCoveragePyJson(json, rootDir);
  const summary = istanbulSummarySchema.safeParse(json);
  if (summary.success) return { lines: null, totals: summary.data.total.lines };
  return undefined;
}

/** Where coverage tools leave their reports by default, for test commands the factory does not drive itself. */
export const DEFAULT_COVERAGE_FILES = ['coverage/lcov.info', 'coverage/coverage-summary.json', 'coverage.json'] as const;
