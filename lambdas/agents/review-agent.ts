import { addUsage, noUsage, type Task, type TaskGate } from '../core/task.js';
import type { Agent, AgentContext, AgentOutcome } from '../ports/agent.js';
import { AgentError } from '../ports/agent.js';
import type { GateRunner } from '../ports/gate-runner.js';
import { withWorkspace, type Workspace } from '../ports/workspace.js';
import { integrateWithResolution, runRole, type ModelAgentDeps } from './model-agent.js';

export interface ReviewAgentDeps extends ModelAgentDeps {
  readonly gates: GateRunner;
  /** Fix rounds (a code agent working the gate failures or the review's reasons) before the review gives up. */
  readonly maxFixRounds: number;
}

const MAX_DIFF_BYTES = 60_000;

/**
 * The review stage: runs the quality gates on the feature branch (with every
 * task merged) against the base, lets a code agent fix what failed (bounded
 * rounds), then has the review agent read the diff, the acceptance criteria
 * and the gate report. The gates decide alone whether the change may pass; the
 * reviewer can only add reasons to refuse it.
 */
export function createReviewAgent(deps: ReviewAgentDeps): Agent {
  return {
    async run(task: Task, ctx: AgentContext): Promise<AgentOutcome> {
      const { feature } = ctx;
      return withWorkspace(deps.workspaces, { repo: feature.repo, featureId: feature.id, taskId: task.id, baseBranch: feature.baseBranch }, async (workspace) => {
        const base = await workspace.fetch(feature.baseBranch);
        let usage = noUsage;
        let fixes = 0;
        let pushed = false;
        const fix = async (instructions: string) => {
          fixes++;
          await ctx.heartbeat();
          const loop = await runRole(deps, 'code', { feature, task, workspace, ctx, context: instructions });
          usage = addUsage(usage, loop.usage);
          if (await workspace.commit(`Fix review round ${fixes}: ${task.title}\n\n${loop.summary}`.slice(0, 5_000), { 'Agent-Role': 'code' })) {
            await workspace.push();
            pushed = true;
          }
        };

        for (;;) {
          const gate = await runGatesOn(deps, workspace, base, ctx, fixes);
          if (!gate.passed) {
            if (fixes < deps.maxFixRounds) {
              await fix(`The quality gates failed on the feature branch. Fix the causes (not the gates or their configuration):\n\n${gate.markdown}`);
              continue;
            }
            throw new AgentError(`quality gates failed after ${fixes} fix round(s): ${failedGates(gate)}`, false, { gate, usage });
          }
          const change = await workspace.diff(base, MAX_DIFF_BYTES);
          const review = await runRole(deps, 'review', { feature, task, workspace, ctx, context: reviewContext(change, gate), gatePassed: gate.passed });
          usage = addUsage(usage, review.usage);
          const verdict = review.verdict ?? { decision: 'request_changes' as const, reasons: ['the reviewer gave no verdict'] };
          if (verdict.decision === 'request_changes') {
            if (fixes < deps.maxFixRounds) {
              await fix(`The reviewer requested changes:\n${verdict.reasons.map((reason) => `- ${reason}`).join('\n')}`);
              continue;
            }
            throw new AgentError(`the review requested changes after ${fixes} fix round(s): ${verdict.reasons.join('; ')}`.slice(0, 1_000), false, {
              gate,
              review: verdict,
              usage,
            });
          }
          const integrated = pushed ? await integrateWithResolution(deps, { feature, task, workspace, ctx, usage }) : undefined;
          if (integrated) usage = integrated.usage;
          return {
            summary: review.summary,
            gate,
            review: verdict,
            usage,
            ...(integrated ? { branch: workspace.branch, commit: integrated.commit } : {}),
          };
        }
      });
    },
  };
}

async function runGatesOn(deps: ReviewAgentDeps, workspace: Workspace, base: string, ctx: AgentContext, fixAttempts: number): Promise<TaskGate> {
  await ctx.heartbeat();
  const report = await deps.gates.run({ repoDir: workspace.dir, base, head: 'HEAD', signal: ctx.signal });
  return { ...report, fixAttempts };
}

const failedGates = (gate: TaskGate) =>
  gate.gates
    .filter((entry) => entry.status === 'failed')
    .map((entry) => (entry.summary ? `${entry.gate} (${entry.summary})` : entry.gate))
    .join(', ')
    .slice(0, 900);

function reviewContext(change: { text: string; truncated: boolean; files: string[] }, gate: TaskGate): string {
  return [
    `Changed files (${change.files.length}):`,
    ...change.files.map((path) => `- ${path}`),
    '',
    `The diff against the base branch${change.truncated ? ' (truncated; read the files for the rest)' : ''}:`,
    change.text,
    '',
    'The quality gate report (already decided; you cannot change it):',
    gate.markdown,
  ].join('\n');
}
