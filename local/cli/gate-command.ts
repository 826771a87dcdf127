import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { GateConfigError, renderGateReportMarkdown, type GateReport } from '../../lambdas/core/gate-policy.js';
import { GateInputError } from '../../lambdas/gates/git-checkout.js';
import { resolveGateRange, runGates, type RunGatesOptions } from '../../lambdas/gates/run-gates.js';

export interface GateCommandDeps {
  /** Raw writes: callers include the newline. */
  readonly stdout: (s: string) => void;
  /** Relative --repo paths are resolved against this (default: process.cwd()). */
  readonly cwd?: () => string;
  /** Injected so CLI tests can check the wiring without running real gates. */
  readonly runGates?: (options: RunGatesOptions) => Promise<GateReport>;
}

/** At least one gate failed: the report was printed; the exit code says so. */
export class GatesFailedError extends Error {
  constructor(report: GateReport) {
    const failed = report.gates.filter((gate) => gate.status === 'failed').map((gate) => gate.gate);
    super(`quality gates failed: ${failed.join(', ')}`);
    this.name = 'GatesFailedError';
  }
}

const gateOptionsSchema = z.object({
  repo: z.string().default('.'),
  base: z.string().min(1).optional(),
  head: z.string().min(1).optional(),
  json: z.boolean().default(false),
});

/** `dsf gate`: runs the quality gates on a local repository, no server needed. */
export function registerGateCommand(program: Command, deps: GateCommandDeps, usageExitCode: number): Command {
  const run = deps.runGates ?? runGates;
  return program
    .command('gate')
    .description('run the quality gates on a local git repository (tests, coverage, lint, types, SAST, secrets, diff size)')
    .option('--repo <path>', 'the repository (default: the current directory)')
    .option('--base <ref>', 'what the change is measured against (default: merge-base with main/master/origin HEAD, or HEAD~1 on the default branch)')
    .option('--head <ref>', 'the commit to check (default: HEAD)')
    .option('--json', 'print the report as JSON instead of Markdown')
    .action(async (rawOptions: unknown, command: Command) => {
      const options = gateOptionsSchema.parse(rawOptions);
      const repoDir = resolve(deps.cwd?.() ?? process.cwd(), options.repo);
      let report: GateReport;
      try {
        const range = await resolveGateRange(repoDir, {
          ...(options.base === undefined ? {} : { base: options.base }),
          ...(options.head === undefined ? {} : { head: options.head }),
        });
        report = await run({ repoDir, ...range });
      } catch (error) {
        if (error instanceof GateInputError || error instanceof GateConfigError) command.error(error.message, { exitCode: usageExitCode });
        throw error;
      }
      deps.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderGateReportMarkdown(report));
      if (!report.passed) throw new GatesFailedError(report);
    });
}
