import { z } from 'zod';
import { isTerminalFeatureStatus, type Feature } from '../core/feature.js';
import { buildNewFeature, type PlannedTask } from '../core/new-feature.js';
import { planFeature } from '../core/planner.js';
import { decideReleases, priorityOrder, rootsToRelease, type AgentCapacity, type SchedulingPolicy } from '../core/scheduling.js';
import { isTerminalTaskStatus, type TaskState } from '../core/task.js';
import { IllegalTransitionError, NotFoundError, StaleStatusError } from '../core/errors.js';
import type { FeatureStore } from '../ports/feature-store.js';
import type { AppLogger } from '../ports/logger.js';
import { featureIdFromExecutionName, type Workflow } from '../ports/workflow.js';
import { metricNames, noMetrics, type AppMetrics } from '../ports/metrics.js';
import { changesCode, gateVerdict, renderPullRequestBody, totalUsage } from '../core/feature-review.js';
import type { GitHost } from '../ports/git-host.js';
import { featureBranchName } from '../ports/workspace.js';
import { notifySafely, type FeatureNotifier } from '../ports/feature-notifier.js';

export interface OrchestrationDeps {
  readonly store: FeatureStore;
  readonly workflow: Workflow;
  readonly logger: AppLogger;
  readonly scheduling: { readonly policy: SchedulingPolicy; readonly capacity: AgentCapacity };
  /** EMF on AWS; nothing locally unless given. */
  readonly metrics?: AppMetrics;
  /** Progress comments where the feature was asked for (its GitHub issue); none when absent. */
  readonly notifier?: FeatureNotifier;
  /** Where gated features get their pull request; without it a gated feature just records pr_open. */
  readonly pullRequests?: { readonly host: Pick<GitHost, 'openPullRequest' | 'mergePullRequest'>; readonly autoMerge: boolean };
  /**
   * Decomposes a feature that came without a plan: the LLM planner when a model is
   * configured for the planner role (it falls back to the heuristic itself and says why);
   * the heuristic planner (lambdas/core/planner.ts) when absent.
   */
  readonly planner?: (feature: Feature) => Promise<{ tasks: PlannedTask[]; note?: string }>;
}

/** What AwaitDependencies resumes with; the state machine routes on it. */
export const releaseSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('run'), agentType: z.string() }),
  z.object({ action: z.literal('skip'), reason: z.string() }),
  z.object({ action: z.literal('done') }),
]);
export type Release = z.infer<typeof releaseSchema>;

/** One item of the RunTasks Map: a task, and `run` when the Plan step released it already (else `await`: register and wait). */
export interface PlanItem {
  readonly taskId: string;
  readonly release: Release | { readonly action: 'await' };
}

export const taskRefSchema = z.object({ featureId: z.string().min(1), taskId: z.string().min(1) });
export const awaitDependenciesInputSchema = taskRefSchema.extend({ taskToken: z.string().min(1) });
/** A Step Functions error object caught by a Catch (`{Error, Cause}`). */
export const stateErrorSchema = z.object({ Error: z.string(), Cause: z.unknown().optional() }).partial();
export const markTaskFailedInputSchema = taskRefSchema.extend({ error: stateErrorSchema.optional() });
export const gateInputSchema = z.object({
  featureId: z.string().min(1),
  outcomes: z.array(z.object({ taskId: z.string(), outcome: z.enum(['succeeded', 'skipped', 'failed']) })),
});
export const featureRefSchema = z.object({ featureId: z.string().min(1) });
/**
 * From the state machine's own Catch: `{featureId, error}`. From the EventBridge rule on
 * executions that ended FAILED/TIMED_OUT/ABORTED: `{executionName, error: {Error: status}}`.
 */
export const recordFailureInputSchema = z
  .object({ featureId: z.string().min(1).optional(), executionName: z.string().min(1).optional(), error: stateErrorSchema.optional() })
  .transform((input, ctx) => {
    const featureId = input.featureId ?? (input.executionName ? featureIdFromExecutionName(input.executionName) : undefined);
    if (!featureId) {
      ctx.addIssue({ code: 'custom', message: 'needs featureId or an executionName made by executionNameForFeature' });
      return z.NEVER;
    }
    return { featureId, error: input.error };
  });

const MAX_REASON = 1_000;

export function describeStateError(error: z.infer<typeof stateErrorSchema> | undefined): string {
  if (!error?.Error) return 'unknown error';
  const cause = typeof error.Cause === 'string' ? error.Cause : error.Cause === undefined ? '' : JSON.stringify(error.Cause);
  return `${error.Error}${cause ? `: ${cause}` : ''}`.slice(0, MAX_REASON);
}

async function requireFeature(store: FeatureStore, featureId: string): Promise<Feature> {
  const feature = await store.getFeature(featureId);
  if (!feature) throw new NotFoundError('feature', featureId);
  return feature;
}

/**
 * Plan state: queued → planning → (plan stored) → running; returns the Map's items, one per task
 * in topological order: the roots it released first, then the rest (critical paths first under the
 * priority policy). Idempotent, so a retried or resumed execution gets the same tasks and never a
 * second plan.
 */
export async function planStep(deps: OrchestrationDeps, featureId: string): Promise<{ tasks: PlanItem[] }> {
  let feature = await requireFeature(deps.store, featureId);
  if (feature.status === 'queued') {
    feature = await deps.store.transitionFeature(featureId, { to: 'planning', expectedFrom: 'queued' });
    (deps.metrics ?? noMetrics).add(metricNames.featuresStarted, 'Count', 1);
  }
  if (feature.status === 'planning') {
    if (feature.taskIds.length === 0) {
      const planned: { tasks: PlannedTask[]; note?: string } = deps.planner ? await deps.planner(feature) : { tasks: planFeature(feature) };
      if (planned.note) await deps.store.appendNote(featureId, { message: planned.note.slice(0, 2_000) });
      const { tasks } = buildNewFeature(
        { title: feature.title, description: feature.description, tasks: planned.tasks },
        { id: feature.id, now: feature.updatedAt, defaults: { repo: feature.repo, baseBranch: feature.baseBranch } },
      );
      feature = await deps.store.savePlan(featureId, tasks);
      deps.logger.info('feature planned', { featureId, tasks: tasks.length });
      await notifySafely(deps.notifier, deps.logger, feature, (notifier) => notifier.featurePlanned(feature, tasks));
    }
    feature = await deps.store.transitionFeature(featureId, { to: 'running', expectedFrom: 'planning' });
  }
  if (isTerminalFeatureStatus(feature.status)) throw new IllegalTransitionError('feature', featureId, feature.status, 'running');
  // The scheduling view, not the tasks' content: the roots' choice and the order need only their states.
  const view = await deps.store.getSchedulingView(featureId);
  if (!view) throw new NotFoundError('feature', featureId);
  const { tasks } = view;
  // The first roots are released now (pending → queued), and their items say so: their iterations
  // go straight to their agent queues while the others are still registering their callbacks.
  // A resumed plan step may race a pass of the previous execution: whoever wins released the root;
  // a root this call did not release awaits, and AwaitDependencies answers `run` for it if it is queued.
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const released = new Map<string, Release>();
  await Promise.all(
    rootsToRelease(tasks, deps.scheduling).map(async (taskId) => {
      const root = byId.get(taskId)!;
      if (await claim(deps, root, { to: 'queued', reason: 'a root, released at plan time' }, 'pending')) {
        released.set(taskId, { action: 'run', agentType: root.agentType });
      }
    }),
  );
  const order = deps.scheduling.policy === 'priority' ? priorityOrder(tasks) : feature.taskIds;
  // Released roots lead the items (roots first keeps the order topological): an engine starts the
  // Map's iterations in item order, so their dispatches go out ahead of the others' registrations.
  const items: PlanItem[] = order.map((taskId) => ({ taskId, release: released.get(taskId) ?? { action: 'await' } }));
  return { tasks: [...items.filter((item) => item.release.action === 'run'), ...items.filter((item) => item.release.action !== 'run')] };
}

/**
 * AwaitDependencies state: parks the callback token on the task, then lets the
 * scheduler decide. Registering first and deciding after is what makes release
 * race-free: whichever of "token stored" and "dependency finished" happens last
 * runs a scheduler pass that sees both.
 */
export async function awaitDependencies(
  deps: OrchestrationDeps,
  input: z.infer<typeof awaitDependenciesInputSchema>,
): Promise<void> {
  const { featureId, taskId, taskToken } = input;
  // A first wait finds its task pending: store the token without reading the task first (one write,
  // not a read and a write, for each of a plan's tasks as the Map starts them all at once). Anything
  // else (a retried wait, a resumed execution) is refused as stale and looked at below.
  try {
    await deps.store.transitionTaskInPlace(featureId, taskId, { to: 'waiting', expectedFrom: 'pending', waitToken: taskToken });
    await releaseReadyTasks(deps, featureId);
    return;
  } catch (error) {
    if (!(error instanceof StaleStatusError)) throw error;
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const task = await deps.store.getTask(featureId, taskId);
    if (!task) throw new NotFoundError('task', `${featureId}/${taskId}`);
    try {
      switch (task.status) {
        case 'pending':
          await deps.store.transitionTask(featureId, taskId, { to: 'waiting', expectedFrom: 'pending', waitToken: taskToken }, { current: task });
          break;
        case 'waiting':
          // A retried AwaitDependencies brings a new token and the old one is dead, but the two calls can
          // land in either order: only a live token replaces the stored one (a late call of the abandoned
          // attempt would otherwise park a dead token, and the task would wait for the state's timeout).
          if (task.waitToken === taskToken) break;
          if (!(await deps.workflow.sendTaskHeartbeat(taskToken))) return;
          await deps.store.replaceWaitToken(featureId, taskId, taskToken);
          break;
        case 'queued':
        case 'running':
          // Released before a crash or a dispatch retry: it already holds its agent slot.
          await deps.workflow.sendTaskSuccess(taskToken, { action: 'run', agentType: task.agentType } satisfies Release);
          return;
        case 'succeeded':
          await deps.workflow.sendTaskSuccess(taskToken, { action: 'done' } satisfies Release);
          return;
        default:
          await deps.workflow.sendTaskSuccess(taskToken, { action: 'skip', reason: task.statusReason ?? task.status } satisfies Release);
          return;
      }
      await releaseReadyTasks(deps, featureId);
      return;
    } catch (error) {
      if (!(error instanceof StaleStatusError)) throw error;
    }
  }
  throw new StaleStatusError('task', `${featureId}/${taskId}`, 'a stable status', 'changing');
}

/** Scheduler passes in flight in this process, per deps and feature, for coalescing. */
const passesInFlight = new WeakMap<OrchestrationDeps, Map<string, { done: Promise<void>; again: boolean }>>();

/**
 * The scheduler pass: releases waiting tasks whose dependencies all succeeded,
 * by priority, up to the free agent capacity; skips those whose dependency
 * failed (and, transitively, theirs). Each release is a conditional write on the
 * version the decision was made from, so a token is sent at most once per winner.
 *
 * Passes for one feature are coalesced within a process: a trigger that arrives
 * while a pass runs asks for one more pass after it, instead of a pass of its
 * own, and returns. The pass that runs after its write is what keeps release
 * race-free, and the process that owns the running pass runs it; the trigger
 * need not wait for it (a worker waiting here would hold its agent slot, and the
 * next task's message, for two passes). A burst of N triggers costs about two
 * passes, not N (a plan of 500 tasks registers 500 tokens at once). On Lambda a
 * container handles one event at a time, so every trigger runs its own pass.
 */
export async function releaseReadyTasks(deps: OrchestrationDeps, featureId: string): Promise<void> {
  let byFeature = passesInFlight.get(deps);
  if (!byFeature) passesInFlight.set(deps, (byFeature = new Map()));
  const inFlight = byFeature.get(featureId);
  if (inFlight) {
    inFlight.again = true;
    return;
  }
  const entry = { done: Promise.resolve(), again: false };
  const features = byFeature;
  entry.done = (async () => {
    try {
      do {
        entry.again = false;
        await schedulerPass(deps, featureId);
      } while (entry.again);
    } finally {
      features.delete(featureId);
    }
  })();
  features.set(featureId, entry);
  return entry.done;
}

async function schedulerPass(deps: OrchestrationDeps, featureId: string): Promise<void> {
  for (let pass = 0; pass < 100; pass++) {
    const view = await deps.store.getSchedulingView(featureId);
    if (!view || view.feature.status !== 'running') return;
    const { tasks } = view;
    const decision = decideReleases(tasks, deps.scheduling);
    const byId = new Map(tasks.map((task) => [task.id, task]));
    let lostRace = false;
    for (const { taskId, reason } of decision.skip) {
      const task = byId.get(taskId)!;
      if (await claim(deps, task, { to: 'skipped', reason })) {
        await deps.workflow.sendTaskSuccess(task.waitToken!, { action: 'skip', reason } satisfies Release);
      } else lostRace = true;
    }
    await Promise.all(
      decision.run.map(async (taskId) => {
        const task = byId.get(taskId)!;
        if (await claim(deps, task, { to: 'queued' })) {
          await deps.workflow.sendTaskSuccess(task.waitToken!, { action: 'run', agentType: task.agentType } satisfies Release);
        } else lostRace = true;
      }),
    );
    // Skips can unblock more skips (a chain of dependents); a lost race means another pass decided too.
    if (decision.skip.length === 0 && !lostRace) return;
  }
}

/** Moves a task on from `from` (waiting, or pending for a root at plan time) if nobody changed it since it was read; false when someone did. */
async function claim(
  deps: OrchestrationDeps,
  task: TaskState,
  transition: { to: 'queued' | 'skipped'; reason?: string },
  from: 'waiting' | 'pending' = 'waiting',
): Promise<boolean> {
  try {
    await deps.store.transitionTaskInPlace(task.featureId, task.id, { ...transition, expectedFrom: from, expectedVersion: task.version });
    return true;
  } catch (error) {
    if (error instanceof StaleStatusError || error instanceof IllegalTransitionError) return false;
    throw error;
  }
}

/** MarkTaskFailed state: the task failed for good (retries exhausted, or a permanent error). */
export async function markTaskFailed(deps: OrchestrationDeps, input: z.infer<typeof markTaskFailedInputSchema>): Promise<void> {
  const reason = describeStateError(input.error);
  const task = await deps.store.getTask(input.featureId, input.taskId);
  if (task && !isTerminalTaskStatus(task.status)) {
    try {
      await deps.store.transitionTask(input.featureId, input.taskId, {
        to: 'failed',
        expectedVersion: task.version,
        reason,
        result: { summary: 'failed', error: reason },
      }, { current: task });
    } catch (error) {
      if (!(error instanceof StaleStatusError || error instanceof IllegalTransitionError)) throw error;
    }
  }
  deps.logger.warn('task failed', { featureId: input.featureId, taskId: input.taskId, reason });
  await releaseReadyTasks(deps, input.featureId);
}

/**
 * Gate state. A feature whose tasks did not all succeed fails here, with the
 * reason naming them. Otherwise it moves to gating; the quality gates run here.
 */
export async function gateStep(
  deps: OrchestrationDeps,
  input: z.infer<typeof gateInputSchema>,
): Promise<{ next: 'pull_request' | 'failed' | 'done' }> {
  const found = await deps.store.getFeatureWithTasks(input.featureId);
  if (!found) throw new NotFoundError('feature', input.featureId);
  const { feature, tasks } = found;
  if (feature.status !== 'running') return { next: 'done' };
  const metrics = deps.metrics ?? noMetrics;
  const unfinished = input.outcomes.filter((o) => o.outcome !== 'succeeded');
  // A conflict the agents could not resolve is a person's call, not a failure of the feature.
  const needsHuman = tasks.find((task) => task.status === 'failed' && task.statusReason?.startsWith('needs a human'));
  let reason: string | undefined;
  if (unfinished.length > 0) {
    reason = `tasks did not succeed: ${unfinished.map((o) => `${o.taskId} (${o.outcome})`).join(', ')}`;
  } else {
    const verdict = gateVerdict(tasks);
    if (!verdict.pass) reason = verdict.reason;
    if (tasks.some((task) => task.result?.gate)) metrics.add(verdict.pass ? metricNames.gatesPassed : metricNames.gatesFailed, 'Count', 1);
  }
  if (reason !== undefined) {
    if (needsHuman) {
      const why = `${needsHuman.id}: ${needsHuman.statusReason}`.slice(0, MAX_REASON);
      const waiting = await deps.store.transitionFeature(input.featureId, { to: 'needs_human', expectedFrom: 'running', reason: why });
      await notifySafely(deps.notifier, deps.logger, waiting, (notifier) => notifier.featureNeedsHuman(waiting, why));
      return { next: 'failed' };
    }
    const why = reason.slice(0, MAX_REASON);
    const failed = await deps.store.transitionFeature(input.featureId, { to: 'failed', expectedFrom: 'running', reason: why });
    metrics.add(metricNames.featuresFailed, 'Count', 1);
    await notifySafely(deps.notifier, deps.logger, failed, (notifier) => notifier.featureFailed(failed, why));
    return { next: 'failed' };
  }
  await deps.store.transitionFeature(input.featureId, { to: 'gating', expectedFrom: 'running' });
  return { next: 'pull_request' };
}

/**
 * PullRequest state: the feature passed its gates, so its branch goes up for
 * review as a pull request (opening is idempotent per head and base, so a
 * retried step updates the same one). With `autoMerge` (the local demo) the
 * factory merges it at once; otherwise a person merges it and the webhook
 * records that.
 */
export async function pullRequestStep(deps: OrchestrationDeps, featureId: string): Promise<void> {
  const found = await deps.store.getFeatureWithTasks(featureId);
  if (!found) throw new NotFoundError('feature', featureId);
  const { feature, tasks } = found;
  if (feature.status !== 'gating') return;
  const metrics = deps.metrics ?? noMetrics;
  if (!deps.pullRequests || !changesCode(tasks)) {
    await deps.store.transitionFeature(featureId, { to: 'pr_open', expectedFrom: 'gating' });
    metrics.add(metricNames.featuresSucceeded, 'Count', 1);
    return;
  }
  const usage = totalUsage(tasks);
  if (usage.calls > 0) {
    metrics.add(metricNames.tokensUsed, 'Count', usage.inputTokens + usage.outputTokens);
    metrics.add(metricNames.costUsd, 'None', usage.costUsd);
  }
  const { pullRequest } = await deps.pullRequests.host.openPullRequest(feature.repo, {
    head: featureBranchName(feature.id),
    base: feature.baseBranch,
    title: feature.title,
    body: renderPullRequestBody(feature, tasks),
  });
  const opened = await deps.store.transitionFeature(featureId, {
    to: 'pr_open',
    expectedFrom: 'gating',
    pullRequest: { number: pullRequest.number, ...(pullRequest.url ? { url: pullRequest.url } : {}) },
  });
  metrics.add(metricNames.featuresSucceeded, 'Count', 1);
  await notifySafely(deps.notifier, deps.logger, opened, (notifier) => notifier.pullRequestOpened(opened, pullRequest));
  if (!deps.pullRequests.autoMerge) return;
  const merged = await deps.pullRequests.host.mergePullRequest(feature.repo, pullRequest.number, {
    message: `Merge DSF feature ${feature.id}: ${feature.title}`,
  });
  const done = await deps.store.transitionFeature(featureId, {
    to: 'merged',
    expectedFrom: 'pr_open',
    reason: 'merged automatically: gates passed',
    pullRequest: { number: pullRequest.number, ...(pullRequest.url ? { url: pullRequest.url } : {}), mergeCommit: merged.commit },
  });
  await notifySafely(deps.notifier, deps.logger, done, (notifier) => notifier.featureMerged(done, pullRequest.number));
}

/** RecordFailure state: whatever broke, the feature ends with a recorded status. */
export async function recordFailure(deps: OrchestrationDeps, input: z.output<typeof recordFailureInputSchema>): Promise<void> {
  const feature = await deps.store.getFeature(input.featureId);
  if (!feature || isTerminalFeatureStatus(feature.status)) return;
  // A cancel records `cancelled` before it stops the execution, so its ABORTED event finds a terminal
  // status above and changes nothing; an execution stopped any other way is recorded as failed.
  const reason = describeStateError(input.error);
  try {
    const failed = await deps.store.transitionFeature(input.featureId, { to: 'failed', reason });
    (deps.metrics ?? noMetrics).add(metricNames.featuresFailed, 'Count', 1);
    await notifySafely(deps.notifier, deps.logger, failed, (notifier) => notifier.featureFailed(failed, reason));
  } catch (error) {
    if (!(error instanceof IllegalTransitionError || error instanceof StaleStatusError)) throw error;
  }
  deps.logger.error('feature failed', { featureId: input.featureId, reason });
}
