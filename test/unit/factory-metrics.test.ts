import { describe, expect, it } from 'vitest';
import { factoryMetrics, gatePassed, median, percentile, type FactoryFeatureMetrics } from '../../lambdas/core/factory-metrics.js';
import { taskSchema, type Task, type TaskGate } from '../../lambdas/core/task.js';
import { metricsResponseSchema } from '../../local/cli/api-client.js';

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 25, 10, minutes)).toISOString();

function row(overrides: Partial<FactoryFeatureMetrics> & Pick<FactoryFeatureMetrics, 'featureId' | 'status'>): FactoryFeatureMetrics {
  return {
    createdAt: at(0),
    leadTimeSeconds: 0,
    tasks: { total: 0, succeeded: 0, failed: 0 },
    tasksPerHour: 0,
    agentSeconds: 0,
    queuedSeconds: 0,
    maxParallelism: 0,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 },
    conflictsResolved: [],
    coverage: {},
    perTask: [],
    ...overrides,
  };
}

function task(id: string, gate?: Pick<TaskGate, 'passed'>): Task {
  return taskSchema.parse({
    id,
    featureId: 'feat_01',
    title: id,
    description: '',
    agentType: gate ? 'review' : 'code',
    dependsOn: [],
    acceptanceCriteria: [],
    status: 'succeeded',
    attempts: 1,
    ...(gate ? { result: { summary: 'reviewed', gate: { passed: gate.passed, gates: [], markdown: '' } } } : {}),
    createdAt: at(0),
    updatedAt: at(0),
    version: 1,
  });
}

describe('factoryMetrics', () => {
  const rows = [
    row({
      featureId: 'feat_a',
      status: 'merged',
      createdAt: at(0),
      leadTimeSeconds: 600,
      tasks: { total: 3, succeeded: 3, failed: 0 },
      agentSeconds: 400,
      queuedSeconds: 20,
      usage: { inputTokens: 1000, outputTokens: 200, costUsd: 0.1, calls: 4 },
      conflictsResolved: ['src/a.ts', 'src/b.ts'],
      gatePassed: true,
    }),
    row({
      featureId: 'feat_b',
      status: 'pr_open',
      createdAt: at(5),
      leadTimeSeconds: 1200,
      tasks: { total: 2, succeeded: 2, failed: 0 },
      agentSeconds: 300,
      queuedSeconds: 40,
      usage: { inputTokens: 500, outputTokens: 100, costUsd: 0.2, calls: 2 },
      gatePassed: false,
    }),
    row({
      featureId: 'feat_c',
      status: 'failed',
      createdAt: at(10),
      leadTimeSeconds: 60,
      tasks: { total: 2, succeeded: 0, failed: 1 },
      agentSeconds: 30,
      usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.0001, calls: 1 },
    }),
    row({ featureId: 'feat_d', status: 'running', createdAt: at(20), leadTimeSeconds: 300, tasks: { total: 4, succeeded: 1, failed: 0 }, gatePassed: true }),
  ];

  it('counts features by status, every status present', () => {
    const { totals } = factoryMetrics(rows);

    expect(totals.features).toBe(4);
    expect(totals.byStatus).toEqual({ queued: 0, planning: 0, running: 1, gating: 0, pr_open: 1, merged: 1, failed: 1, cancelled: 0, needs_human: 0 });
  });

  it('takes lead times from delivered features only (pr_open, merged)', () => {
    const { totals } = factoryMetrics(rows);

    // 600 and 1200: the failed feature's 60 s and the running one's 300 s are not deliveries.
    expect(totals.leadTime).toEqual({ delivered: 2, medianSeconds: 900, p90Seconds: 1200 });
  });

  it('sums tasks, agent and queued time, usage and conflicts', () => {
    const { totals } = factoryMetrics(rows);

    expect(totals.tasks).toEqual({ total: 11, succeeded: 6, failed: 1 });
    expect(totals.agentSeconds).toBe(730);
    expect(totals.queuedSeconds).toBe(60);
    expect(totals.usage).toEqual({ inputTokens: 1510, outputTokens: 305, costUsd: 0.3001, calls: 7 });
    expect(totals.conflictsResolved).toBe(2);
  });

  it('divides succeeded tasks by the wall-clock span of all features, so parallel features count once', () => {
    // From 10:00 (feat_a created) to 10:25 (feat_b: created 10:05 + 20 min, feat_d: 10:20 + 5 min): 25 minutes.
    const { totals } = factoryMetrics(rows);

    expect(totals.tasksPerHour).toBe(round3((6 * 60) / 25));
  });

  it('rates the gates over the features that have a gate report', () => {
    const { totals } = factoryMetrics(rows);

    expect(totals.gates).toEqual({ reported: 3, passed: 2, passRate: 0.667 });
  });

  it('returns the rows as given, in order', () => {
    expect(factoryMetrics(rows).features).toBe(rows);
  });

  it('has nulls, not zeros, where there is nothing to measure', () => {
    const { totals } = factoryMetrics([row({ featureId: 'feat_q', status: 'queued' })]);

    expect(totals.leadTime).toEqual({ delivered: 0, medianSeconds: null, p90Seconds: null });
    expect(totals.gates).toEqual({ reported: 0, passed: 0, passRate: null });
    expect(totals.tasksPerHour).toBe(0);
  });

  it('is all zeros for no features', () => {
    const { totals, features } = factoryMetrics([]);

    expect(features).toEqual([]);
    expect(totals).toMatchObject({ features: 0, tasksPerHour: 0, agentSeconds: 0, usage: { inputTokens: 0, costUsd: 0 } });
  });

  it('produces what the CLI parses', () => {
    const parsed = metricsResponseSchema.safeParse({ generatedAt: at(30), ...factoryMetrics(rows) });

    expect(parsed.error).toBeUndefined();
  });
});

describe('median and percentile', () => {
  it.each([
    [[5], 5, 5],
    [[1, 2, 3], 2, 3],
    [[1, 2, 3, 4], 2.5, 4],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5.5, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 6, 10],
  ])('of %j: median %d, p90 %d (nearest rank)', (values, expectedMedian, expectedP90) => {
    expect(median(values)).toBe(expectedMedian);
    expect(percentile(values, 90)).toBe(expectedP90);
  });

  it('is null for no values', () => {
    expect(median([])).toBeNull();
    expect(percentile([], 90)).toBeNull();
  });
});

describe('gatePassed', () => {
  it('is undefined without a gate report, and passes only when every report passed', () => {
    expect(gatePassed([task('code')])).toBeUndefined();
    expect(gatePassed([task('code'), task('review', { passed: true })])).toBe(true);
    expect(gatePassed([task('review', { passed: true }), task('review-2', { passed: false })])).toBe(false);
  });
});

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
