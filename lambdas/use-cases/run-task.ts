import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Task } from '../core/task.js';
import { IllegalTransitionError, StaleStatusError } from '../core/errors.js';
import { AgentError, type AgentSelector } from '../ports/agent.js';
import { releaseReadyTasks, type OrchestrationDeps } from './orchestration.js';
import { metricNames, noMetrics } from '../ports/metrics.js';

/** The body Dispatch sends to an agent queue. */
export const taskMessageSchema = z.strictObject({
  featureId: z.string().min(1),
  taskId: z.string().min(1),
  taskToken: z.string().min(1),
});
export type TaskMessage = z.infer<typeof taskMessageSchema>;

export interface WorkerDeps extends OrchestrationDeps {
  readonly selectAgent: AgentSelector;
  /** The agent's whole budget for one attempt; past it the attempt is abandoned to the workflow's retry. */
  readonly attemptTimeoutMs: number;
}

/** A message that can never be processed (it names nothing that exists): retrying it will not help. */
export class UnprocessableMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnprocessableMessageError';
  }
}

export type RunOutcome = 'succeeded' | 'failed' | 'retry' | 'ignored';

const isRace = (error: unknown) => error instanceof StaleStatusError || error instanceof IllegalTransitionError;

/**
 * Works one dispatched task: claims it (queued → running, counting the attempt),
 * runs its agent with heartbeats, records the outcome, completes the callback,
 * and lets the scheduler release what the outcome unblocks.
 *
 * Safe under redelivery: a task already succeeded is acknowledged again and
 * never run a second time; a duplicate delivery racing a live attempt loses the
 * conditional claim; a worker of an abandoned attempt cannot overwrite a newer one.
 */
export async function runTask(deps: WorkerDeps, message: TaskMessage): Promise<RunOutcome> {
  const { featureId, taskId, taskToken } = message;
  const log = { featureId, taskId };
  const { feature, task } = await deps.store.getFeatureAndTask(featureId, taskId);
  if (!feature || !task) throw new UnprocessableMessageError(`no task ${featureId}/${taskId}`);
  if (feature.status === 'cancelled' || task.status === 'cancelled') return 'ignored';
  if (task.status === 'succeeded') {
    await deps.workflow.sendTaskSuccess(taskToken, { summary: task.result?.summary ?? '' });
    return 'ignored';
  }
  const attemptToken = digestOf(taskToken);
  if (task.status === 'running' && task.attemptToken === attemptToken) {
    // SQS delivers at least once: this is a copy of the message of the attempt now running. Taking the
    // task over would run the work twice; the running attempt reports through the same token.
    deps.logger.info('duplicate delivery of the running attempt', log);
    return 'ignored';
  }
  if (task.status === 'failed' || task.status === 'skipped') {
    await deps.workflow.sendTaskFailure(taskToken, { error: 'Agent.Failed', cause: task.statusReason ?? task.status });
    return 'ignored';
  }

  // A redelivered message whose wait has ended (timed out, retried with a new token, execution stopped)
  // is stale: its attempt is someone else's now. The heartbeat doubles as the liveness check.
  if (!(await deps.workflow.sendTaskHeartbeat(taskToken))) {
    deps.logger.info('stale task message: the workflow no longer waits for it', log);
    return 'ignored';
  }

  let running: Task;
  try {
    let current = task;
    if (current.status !== 'queued') {
      current = await deps.store.transitionTask(
        featureId,
        taskId,
        { to: 'queued', expectedVersion: current.version, reason: current.status === 'running' ? 'previous attempt abandoned' : 'dispatched' },
        { current },
      );
    }
    running = await deps.store.transitionTask(
      featureId,
      taskId,
      { to: 'running', expectedVersion: current.version, countAttempt: true, attemptToken },
      { current },
    );
  } catch (error) {
    if (isRace(error)) {
      deps.logger.info('task already claimed by another delivery', log);
      return 'ignored';
    }
    throw error;
  }

  const attempt = running.attempts;
  const startedAt = Date.now();
  const metrics = deps.metrics ?? noMetrics;
  const recordDuration = () => metrics.add(metricNames.taskDuration, 'Milliseconds', Date.now() - startedAt, { AgentType: running.agentType });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('attempt timed out')), deps.attemptTimeoutMs);
  let cancelled = false;
  const heartbeat = async () => {
    const alive = await deps.workflow.sendTaskHeartbeat(taskToken);
    const now = await deps.store.getFeature(featureId);
    if (now?.status === 'cancelled') {
      cancelled = true;
      controller.abort(new Error('feature cancelled'));
    } else if (!alive) {
      controller.abort(new Error('the workflow no longer waits for this attempt'));
    }
  };

  /** The task as written, or undefined when a newer attempt or a cancellation got there first. */
  const settle = async (transition: Parameters<WorkerDeps['store']['transitionTask']>[2]): Promise<Task | undefined> => {
    try {
      return await deps.store.transitionTask(featureId, taskId, { ...transition, expectedAttempts: attempt }, { current: running });
    } catch (error) {
      if (isRace(error)) return undefined;
      throw error;
    }
  };

  try {
    const agent = deps.selectAgent(running);
    const outcome = await agent.run(running, { feature, signal: controller.signal, heartbeat });
    // The scheduler pass reads the feature's tasks after this success is written, so it (or any pass
    // that reads later) sees it: of two dependencies that finish at once, the later write's pass releases.
    const settled = await settle({ to: 'succeeded', result: outcome });
    if (!settled) return 'ignored';
    // The dependents' release does not wait on the workflow hearing of this task: both at once.
    await Promise.all([
      deps.workflow.sendTaskSuccess(taskToken, { summary: outcome.summary }),
      releaseReadyTasks(deps, featureId),
    ]);
    recordDuration();
    deps.logger.info('task succeeded', { ...log, attempt });
    return 'succeeded';
  } catch (error) {
    if (controller.signal.aborted) {
      if (cancelled) await settle({ to: 'cancelled', reason: 'feature cancelled' });
      deps.logger.warn('task attempt stopped', { ...log, attempt, reason: String(controller.signal.reason) });
      return 'ignored';
    }
    const reason = error instanceof Error ? error.message.slice(0, 1_000) : 'agent failed';
    recordDuration();
    metrics.add(metricNames.agentErrors, 'Count', 1, { AgentType: running.agentType });
    if (error instanceof AgentError && error.retryable) {
      if (await settle({ to: 'queued', reason })) await deps.workflow.sendTaskFailure(taskToken, { error: 'Agent.Retryable', cause: reason });
      deps.logger.warn('task attempt failed, will retry', { ...log, attempt, reason });
      return 'retry';
    }
    if (!(error instanceof AgentError)) deps.logger.error('agent crashed', { ...log, attempt, error: error as Error });
    const details = error instanceof AgentError ? error.details : undefined;
    if (await settle({ to: 'failed', reason, result: { ...details, summary: 'failed', error: reason } })) {
      await deps.workflow.sendTaskFailure(taskToken, { error: 'Agent.Failed', cause: reason });
    }
    return 'failed';
  } finally {
    clearTimeout(timer);
  }
}

/** Identifies a callback token without storing it: tokens are capabilities, digests are not. */
const digestOf = (token: string): string => createHash('sha256').update(token).digest('base64url').slice(0, 32);
