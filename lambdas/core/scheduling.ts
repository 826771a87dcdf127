import type { AgentType, TaskState, TaskStatus } from './task.js';
import { topologicalOrder } from './task-graph.js';

/**
 * How ready tasks compete for agents when there are more ready tasks than free agents.
 * - `priority`: longest remaining path first (the task's estimate plus its longest chain of
 *   dependents): in simulation within 0–4% of the makespan lower bound.
 * - `fifo`: plan order among ready tasks.
 * - `wave`: level by level, a level starting only when every earlier level has ended;
 *   kept as the baseline the benchmark compares against.
 */
export const schedulingPolicies = ['priority', 'fifo', 'wave'] as const;
export type SchedulingPolicy = (typeof schedulingPolicies)[number];

export type AgentCapacity = Readonly<Record<AgentType, number>>;

/** Agents per type when the deployment names none: the same numbers locally, on AWS, and in the CDK stack. */
export const defaultAgentCapacity: AgentCapacity = { code: 4, test: 2, review: 2, conflict: 1 };

export interface ReleaseDecision {
  /** Waiting tasks to release to their agent queue, in priority order. */
  readonly run: readonly string[];
  /** Waiting tasks that can never run because a dependency did not succeed. */
  readonly skip: readonly { taskId: string; reason: string }[];
}

const IN_FLIGHT: readonly TaskStatus[] = ['queued', 'running'];
const DEAD_ENDS: readonly TaskStatus[] = ['failed', 'skipped', 'cancelled'];

/** Longest remaining path of every task, in seconds. `tasks` must be in topological order. */
export function longestRemainingPaths(tasks: readonly Pick<TaskState, 'id' | 'dependsOn' | 'estimatedSeconds'>[]): Map<string, number> {
  const dependents = new Map<string, string[]>();
  for (const task of tasks) for (const dep of task.dependsOn) dependents.set(dep, [...(dependents.get(dep) ?? []), task.id]);
  const paths = new Map<string, number>();
  for (let i = tasks.length - 1; i >= 0; i--) {
    const task = tasks[i]!;
    const tail = Math.max(0, ...(dependents.get(task.id) ?? []).map((id) => paths.get(id) ?? 0));
    paths.set(task.id, task.estimatedSeconds + tail);
  }
  return paths;
}

/** Depth of each task in the DAG: 0 without dependencies, else one more than its deepest dependency. */
export function levels(tasks: readonly Pick<TaskState, 'id' | 'dependsOn'>[]): Map<string, number> {
  const result = new Map<string, number>();
  for (const task of tasks) result.set(task.id, task.dependsOn.length === 0 ? 0 : 1 + Math.max(...task.dependsOn.map((d) => result.get(d) ?? 0)));
  return result;
}

/**
 * Decides which waiting tasks to release now. Pure: the caller applies each
 * decision with a conditional write, so two schedulers racing on the same
 * feature release every task at most once.
 *
 * Capacity counts the feature's own queued and running tasks per agent type.
 */
export function decideReleases(
  tasks: readonly TaskState[],
  options: { policy: SchedulingPolicy; capacity: AgentCapacity },
): ReleaseDecision {
  const byId = new Map(tasks.map((task) => [task.id, task]));

  const skip: { taskId: string; reason: string }[] = [];
  const ready: TaskState[] = [];
  for (const task of tasks) {
    if (task.status !== 'waiting' || task.waitToken === undefined) continue;
    const deps = task.dependsOn.map((id) => byId.get(id));
    const blocked = deps.find((dep) => dep === undefined || DEAD_ENDS.includes(dep.status));
    if (blocked !== undefined || deps.some((dep) => dep === undefined)) {
      skip.push({ taskId: task.id, reason: `dependency ${blocked?.id ?? 'missing'} ${blocked?.status ?? 'does not exist'}` });
    } else if (deps.every((dep) => dep!.status === 'succeeded')) {
      ready.push(task);
    }
  }

  let candidates = ready;
  if (options.policy === 'wave') {
    const level = levels(tasks);
    // A level starts only when every task of the levels before it has ended.
    const lowestOpen = Math.min(Infinity, ...tasks.filter((t) => !isEnded(t.status)).map((t) => level.get(t.id)!));
    candidates = ready.filter((task) => level.get(task.id)! <= lowestOpen);
  }
  const position = new Map(tasks.map((task, index) => [task.id, index]));
  if (options.policy === 'priority') {
    const paths = longestRemainingPaths(tasks);
    candidates = [...candidates].sort((a, b) => paths.get(b.id)! - paths.get(a.id)! || position.get(a.id)! - position.get(b.id)!);
  }

  const run = admit(candidates, tasks, options.capacity);
  return { run, skip };
}

function isEnded(status: TaskStatus): boolean {
  return status === 'succeeded' || DEAD_ENDS.includes(status);
}

/**
 * Roots the Plan step may release before any task has registered its callback:
 * tasks without dependencies that have not started, by the policy's order, up
 * to the free capacity of their agent type. Released at plan time, they go to
 * their agents the moment their Map iteration starts, instead of waiting for
 * every iteration's registration and a scheduler pass (the workflow's start-up).
 */
export function rootsToRelease(tasks: readonly TaskState[], options: { policy: SchedulingPolicy; capacity: AgentCapacity }): string[] {
  let roots = tasks.filter((task) => task.status === 'pending' && task.dependsOn.length === 0);
  if (options.policy === 'priority') {
    const paths = longestRemainingPaths(tasks);
    const position = new Map(tasks.map((task, index) => [task.id, index]));
    roots = [...roots].sort((a, b) => paths.get(b.id)! - paths.get(a.id)! || position.get(a.id)! - position.get(b.id)!);
  }
  return admit(roots, tasks, options.capacity);
}

/** The candidates, in their order, that fit the capacity left by the tasks queued or running per agent type. */
function admit(candidates: readonly TaskState[], tasks: readonly TaskState[], capacity: AgentCapacity): string[] {
  const inFlight = new Map<AgentType, number>();
  for (const task of tasks) if (IN_FLIGHT.includes(task.status)) inFlight.set(task.agentType, (inFlight.get(task.agentType) ?? 0) + 1);
  const run: string[] = [];
  for (const task of candidates) {
    const used = inFlight.get(task.agentType) ?? 0;
    if (used >= capacity[task.agentType]) continue;
    inFlight.set(task.agentType, used + 1);
    run.push(task.id);
  }
  return run;
}

/**
 * A topological order that, among tasks ready at the same point, puts the one
 * with the longest remaining path first. The workflow's Map walks tasks in this
 * order, so with a bounded number of iterations in flight the critical ones
 * start waiting (and get released) first.
 */
export function priorityOrder(tasks: readonly Pick<TaskState, 'id' | 'dependsOn' | 'estimatedSeconds'>[]): string[] {
  const paths = longestRemainingPaths(tasks);
  return topologicalOrder(tasks, (a, b) => paths.get(b)! - paths.get(a)!);
}
