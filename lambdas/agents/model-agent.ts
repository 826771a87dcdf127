import type { Feature } from '../core/feature.js';
import { addUsage, noUsage, type Task, type TaskUsage } from '../core/task.js';
import type { Agent, AgentContext, AgentOutcome } from '../ports/agent.js';
import { AgentError } from '../ports/agent.js';
import { integrationLockName, type GitHost, type IntegrationResult } from '../ports/git-host.js';
import type { Lock } from '../ports/lock.js';
import type { AgentRole, ModelProvider, Usage } from '../ports/model-provider.js';
import type { TranscriptSink } from '../ports/transcript-store.js';
import { withWorkspace, type Workspace, type WorkspaceProvider } from '../ports/workspace.js';
import { runAgentLoop, type AgentLoopResult } from './agent-loop.js';

/** What the model-driven agents need; built once per worker. */
export interface ModelAgentDeps {
  readonly workspaces: WorkspaceProvider;
  readonly gitHost: Pick<GitHost, 'integrate'>;
  readonly lock: Lock;
  /** The model for a role on a task: selection, retries and the budget are already applied. */
  readonly providerFor: (role: AgentRole, task: Task) => Promise<ModelProvider>;
  readonly transcriptFor?: (task: Task, role: AgentRole) => TranscriptSink;
  readonly costOf: (model: string, usage: Usage) => number;
  readonly limits: { readonly maxSteps: number; readonly maxOutputTokens: number };
  /** Resolution rounds before a conflicted integration goes to a human. */
  readonly maxConflictRounds: number;
  /** How long one integration may hold the feature branch's lock. */
  readonly integrationLockMs?: number;
}

/** Runs one role's loop in a workspace, with the worker's heartbeat, abort signal and transcript. */
export async function runRole(
  deps: ModelAgentDeps,
  role: AgentRole,
  input: {
    feature: Feature;
    task: Task;
    workspace: Workspace;
    context?: string;
    ctx: AgentContext;
    conflictedFiles?: readonly string[];
    gatePassed?: boolean;
  },
): Promise<AgentLoopResult> {
  const { feature, task, workspace, context, ctx } = input;
  const transcript = deps.transcriptFor?.(task, role);
  return runAgentLoop({
    role,
    provider: await deps.providerFor(role, task),
    workspaceDir: workspace.dir,
    feature: { id: feature.id, title: feature.title, description: feature.description },
    task: { id: task.id, title: task.title, description: task.description, acceptanceCriteria: task.acceptanceCriteria },
    ...(context !== undefined ? { context } : {}),
    attempt: task.attempts,
    limits: deps.limits,
    signal: ctx.signal,
    heartbeat: ctx.heartbeat,
    ...(transcript ? { transcript } : {}),
    ...(input.conflictedFiles ? { conflictedFiles: input.conflictedFiles } : {}),
    ...(input.gatePassed !== undefined ? { gatePassed: input.gatePassed } : {}),
    costOf: deps.costOf,
  });
}

/**
 * Merges the workspace's pushed task branch into the feature branch, one merge
 * at a time per feature branch. When the feature branch moved in a way that
 * conflicts, the conflict agent resolves the conflicted files on the task
 * branch (the feature branch merged in, markers and all), and the merge is
 * tried again — up to `maxConflictRounds`, then a human is needed.
 */
export async function integrateWithResolution(
  deps: ModelAgentDeps,
  input: { feature: Feature; task: Task; workspace: Workspace; ctx: AgentContext; usage: TaskUsage },
): Promise<{ commit: string; conflictsResolved: string[]; usage: TaskUsage }> {
  const { workspace, feature } = input;
  let usage = input.usage;
  const resolved: string[] = [];
  for (let round = 0; ; round++) {
    const result = await integrateUnderLock(deps, feature.repo, workspace);
    if (result.kind !== 'conflict') return { commit: result.commit, conflictsResolved: [...new Set(resolved)].sort(), usage };
    if (round >= deps.maxConflictRounds) {
      throw new AgentError(
        `needs a human: merging ${workspace.branch} into ${workspace.featureBranch} still conflicts in ${result.paths.join(', ')} after ${round} resolution round(s)`,
        false,
        { usage, conflictsResolved: resolved },
      );
    }
    const { conflicts } = await workspace.merge(await workspace.fetch(workspace.featureBranch));
    if (conflicts.length > 0) {
      const loop = await runRole(deps, 'conflict', { ...input, context: conflictContext(workspace, conflicts), conflictedFiles: conflicts });
      usage = addUsage(usage, loop.usage);
      resolved.push(...conflicts);
    }
    await workspace.commit(
      conflicts.length > 0
        ? `Merge ${workspace.featureBranch} into ${workspace.branch}\n\nResolved conflicts in ${conflicts.join(', ')}.`
        : `Merge ${workspace.featureBranch} into ${workspace.branch}`,
    );
    await workspace.push();
  }
}

function conflictContext(workspace: Workspace, conflicts: string[]): string {
  return [
    `Merging the feature branch ${workspace.featureBranch} into this task branch (${workspace.branch}) conflicted.`,
    'These files contain <<<<<<< / ======= / >>>>>>> markers; read each one, keep the intent of both sides, and remove every marker:',
    ...conflicts.map((path) => `- ${path}`),
  ].join('\n');
}

function integrateUnderLock(deps: ModelAgentDeps, repo: string, workspace: Workspace): Promise<IntegrationResult> {
  const ttl = deps.integrationLockMs ?? 60_000;
  return deps.lock.withLock(integrationLockName(repo, workspace.featureBranch), ttl, () =>
    deps.gitHost.integrate(repo, {
      source: workspace.branch,
      target: workspace.featureBranch,
      message: `Merge task ${workspace.taskId} into ${workspace.featureBranch}`,
    }),
  );
}

/**
 * The code and test agents: a model works the task in a fresh workspace on the
 * task branch, its changes are committed and pushed, and the branch is merged
 * into the feature branch (conflicts go to the conflict agent first).
 */
export function createModelAgent(deps: ModelAgentDeps): Agent {
  return {
    async run(task: Task, ctx: AgentContext): Promise<AgentOutcome> {
      const { feature } = ctx;
      const role: AgentRole = task.agentType === 'test' ? 'test' : task.agentType === 'conflict' ? 'conflict' : 'code';
      return withWorkspace(deps.workspaces, { repo: feature.repo, featureId: feature.id, taskId: task.id, baseBranch: feature.baseBranch }, async (workspace) => {
        const loop = await runRole(deps, role, { feature, task, workspace, ctx });
        let usage = addUsage(noUsage, loop.usage);
        const committed = await workspace.commit(`${task.title}\n\n${loop.summary}`.slice(0, 5_000), { 'Agent-Role': role });
        if (!committed) return { summary: `${loop.summary} (no file changed)`, usage };
        await workspace.push();
        const integrated = await integrateWithResolution(deps, { feature, task, workspace, ctx, usage });
        usage = integrated.usage;
        return {
          summary: loop.summary,
          branch: workspace.branch,
          commit: integrated.commit,
          usage,
          ...(integrated.conflictsResolved.length > 0 ? { conflictsResolved: integrated.conflictsResolved } : {}),
        };
      });
    },
  };
}
