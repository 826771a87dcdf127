import { z } from 'zod';
import { featureStatuses, featureStatusSchema, type FeatureStatus } from './feature.js';
import type { FeatureMetrics } from './feature-metrics.js';
import { sumUsage, taskStatusSchema, taskUsageSchema, type Task, type TaskUsage } from './task.js';

/** One feature's row in the factory's metrics: its delivery figures, when it started, and its review gate's verdict. */
export interface FactoryFeatureMetrics extends FeatureMetrics {
  readonly createdAt: string;
  /** Whether the quality gates passed; absent when no review task recorded a gate report. */
  readonly gatePassed?: boolean;
}

export interface FactoryTotals {
  readonly features: number;
  readonly byStatus: Readonly<Record<FeatureStatus, number>>;
  /** Over delivered features only (see DELIVERED); null when none delivered. */
  readonly leadTime: { readonly delivered: number; readonly medianSeconds: number | null; readonly p90Seconds: number | null };
  readonly tasks: { readonly total: number; readonly succeeded: number; readonly failed: number };
  /** Succeeded tasks per hour of wall-clock time, from the first feature's creation to the last one's end. */
  readonly tasksPerHour: number;
  readonly agentSeconds: number;
  readonly queuedSeconds: number;
  readonly usage: TaskUsage;
  /** Files the conflict agent resolved, summed over the features. */
  readonly conflictsResolved: number;
  /** `passRate` is passed / reported; null when no feature has a gate report. */
  readonly gates: { readonly reported: number; readonly passed: number; readonly passRate: number | null };
}

export interface FactoryMetrics {
  readonly totals: FactoryTotals;
  readonly features: readonly FactoryFeatureMetrics[];
}

/**
 * The statuses whose lead time measures a delivery: the factory's output is the pull request.
 * failed, cancelled and needs_human stop the clock too, but how long it took to give up is
 * not a lead time, and mixing them in would make a failing factory look fast.
 */
const DELIVERED: readonly FeatureStatus[] = ['pr_open', 'merged'];

const round = (value: number) => Math.round(value * 1000) / 1000;

/**
 * The review gate's verdict from the tasks' recorded gate reports, as the Gate step reads them
 * (lambdas/core/feature-review.ts): any failing report fails the feature.
 */
export function gatePassed(tasks: readonly Task[]): boolean | undefined {
  const reports = tasks.flatMap((task) => (task.result?.gate ? [task.result.gate] : []));
  if (reports.length === 0) return undefined;
  return reports.every((report) => report.passed);
}

/** Totals over the given features' metrics (pure; the rows are returned as given). */
export function factoryMetrics(perFeature: readonly FactoryFeatureMetrics[]): FactoryMetrics {
  const byStatus = Object.fromEntries(featureStatuses.map((status) => [status, 0])) as Record<FeatureStatus, number>;
  for (const feature of perFeature) byStatus[feature.status] += 1;
  const sum = (pick: (feature: FactoryFeatureMetrics) => number) => perFeature.reduce((total, feature) => total + pick(feature), 0);

  const leadTimes = perFeature
    .filter((feature) => DELIVERED.includes(feature.status))
    .map((feature) => feature.leadTimeSeconds)
    .sort((a, b) => a - b);
  const succeeded = sum((feature) => feature.tasks.succeeded);
  const windowSeconds = wallClockSeconds(perFeature);
  const reported = perFeature.filter((feature) => feature.gatePassed !== undefined);
  const passed = reported.filter((feature) => feature.gatePassed === true).length;

  return {
    totals: {
      features: perFeature.length,
      byStatus,
      leadTime: { delivered: leadTimes.length, medianSeconds: median(leadTimes), p90Seconds: percentile(leadTimes, 90) },
      tasks: { total: sum((feature) => feature.tasks.total), succeeded, failed: sum((feature) => feature.tasks.failed) },
      tasksPerHour: windowSeconds > 0 ? round((succeeded * 3600) / windowSeconds) : 0,
      agentSeconds: round(sum((feature) => feature.agentSeconds)),
      queuedSeconds: round(sum((feature) => feature.queuedSeconds)),
      usage: sumUsage(perFeature.map((feature) => feature.usage)),
      conflictsResolved: sum((feature) => feature.conflictsResolved.length),
      gates: { reported: reported.length, passed, passRate: reported.length > 0 ? round(passed / reported.length) : null },
    },
    features: perFeature,
  };
}

/**
 * The span the features were worked in, counted once however many ran side by side:
 * summing lead times instead would make parallel features look slower than serial ones.
 */
function wallClockSeconds(perFeature: readonly FactoryFeatureMetrics[]): number {
  if (perFeature.length === 0) return 0;
  const starts = perFeature.map((feature) => Date.parse(feature.createdAt));
  const ends = perFeature.map((feature) => Date.parse(feature.createdAt) + feature.leadTimeSeconds * 1000);
  return Math.max(0, (Math.max(...ends) - Math.min(...starts)) / 1000);
}

/** The middle value, or the mean of the two middle values; `sorted` is ascending. */
export function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : round((sorted[middle - 1]! + sorted[middle]!) / 2);
}

/**
 * Nearest rank: the smallest value with at least p% of the values at or below it. No
 * interpolation, so the answer is always a lead time some feature really had.
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

const count = z.number().int().nonnegative();
const seconds = z.number().nonnegative();

/** GET /metrics as lambdas/use-cases/metrics.ts answers it (a FactoryMetrics and its `generatedAt`): what the CLI and the dashboard parse it with. */
export const metricsResponseSchema = z.object({
  generatedAt: z.iso.datetime(),
  totals: z.object({
    features: count,
    byStatus: z.record(featureStatusSchema, count),
    leadTime: z.object({ delivered: count, medianSeconds: seconds.nullable(), p90Seconds: seconds.nullable() }),
    tasks: z.object({ total: count, succeeded: count, failed: count }),
    tasksPerHour: z.number().nonnegative(),
    agentSeconds: seconds,
    queuedSeconds: seconds,
    usage: taskUsageSchema,
    conflictsResolved: count,
    gates: z.object({ reported: count, passed: count, passRate: z.number().min(0).max(1).nullable() }),
  }),
  features: z.array(
    z.object({
      featureId: z.string(),
      status: featureStatusSchema,
      createdAt: z.iso.datetime(),
      leadTimeSeconds: seconds,
      tasks: z.object({ total: count, succeeded: count, failed: count }),
      tasksPerHour: z.number().nonnegative(),
      agentSeconds: seconds,
      queuedSeconds: seconds,
      maxParallelism: count,
      usage: taskUsageSchema,
      conflictsResolved: z.array(z.string()),
      coverage: z.object({ after: z.number().optional() }),
      gatePassed: z.boolean().optional(),
      perTask: z.array(
        z.object({ taskId: z.string(), status: taskStatusSchema, attempts: count, agentSeconds: seconds, queuedSeconds: seconds }),
      ),
    }),
  ),
});
