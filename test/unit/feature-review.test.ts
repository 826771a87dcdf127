import { describe, expect, it } from 'vitest';
import { featureMetrics, maxOverlap } from '../../lambdas/core/feature-metrics.js';
import { gateVerdict, renderPullRequestBody, totalUsage } from '../../lambdas/core/feature-review.js';
import type { FeatureEvent } from '../../lambdas/core/feature-event.js';
import type { Task, TaskGate } from '../../lambdas/core/task.js';
import { ManualClock, sampleFeature } from '../support/fixtures.js';

const gate = (passed: boolean, coverage = 91.5): TaskGate => ({
  passed,
  gates: [
    { gate: 'tests', status: 'passed', value: 12, threshold: null },
    { gate: 'coverage', status: passed ? 'passed' : 'failed', value: coverage, threshold: 80 },
  ],
  markdown: `## Quality gates\n\n${passed ? 'all passed' : 'coverage failed'}`,
  fixAttempts: 0,
});

function featureWith(results: Record<string, Partial<Task>>) {
  const { feature, tasks } = sampleFeature(new ManualClock());
  return { feature, tasks: tasks.map((task) => ({ ...task, status: 'succeeded' as const, ...results[task.id] })) };
}

describe('gateVerdict', () => {
  it('passes only when a review recorded passing gates', () => {
    const { tasks } = featureWith({ docs: { result: { summary: 'ok', gate: gate(true) } } });
    expect(gateVerdict(tasks)).toEqual({ pass: true, note: 'gates passed (docs)' });
  });

  it('fails when any recorded gate report failed, naming the task', () => {
    const { tasks } = featureWith({ docs: { result: { summary: 'ok', gate: gate(false) } }, tests: { result: { summary: 'ok', gate: gate(true) } } });
    expect(gateVerdict(tasks)).toEqual({ pass: false, reason: 'quality gates failed in docs' });
  });

  it('fails a feature that changed code when no review ran the gates', () => {
    expect(gateVerdict(featureWith({}).tasks)).toEqual({ pass: false, reason: expect.stringContaining('no review task ran the quality gates') });
  });

  it('lets an orchestration-only feature of sleep tasks through: nothing changed', () => {
    const tasks = featureWith({}).tasks.map((task) => ({ ...task, sleep: { seconds: 0, outcome: 'succeed' as const } }));
    expect(gateVerdict(tasks).pass).toBe(true);
  });
});

describe('renderPullRequestBody', () => {
  it('lists every task with its criteria checked, the conflicts, the review, the gate report and the cost', () => {
    const { feature, tasks } = featureWith({
      endpoint: { result: { summary: 'Added GET /health', usage: { inputTokens: 1000, outputTokens: 200, costUsd: 0.0123, calls: 3 }, conflictsResolved: ['README.md'] } },
      docs: {
        result: { summary: 'Reviewed', gate: gate(true), review: { decision: 'approve', reasons: ['criteria hold'] }, usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.001, calls: 1 } },
      },
    });
    const body = renderPullRequestBody(feature, tasks);
    expect(body).toContain('- **Add the route** (`endpoint`, code) — Added GET /health');
    expect(body).toContain('  - [x] GET /health returns 200');
    expect(body).toContain('conflicts resolved: `README.md`');
    expect(body).toContain('- docs: **approve** — criteria hold');
    expect(body).toContain('## Quality gates');
    expect(body).toContain('4 model calls, 1010 input and 205 output tokens, $0.0133.');
  });

  it('stays under GitHub’s body limit however long the results are', () => {
    const { feature, tasks } = featureWith({ endpoint: { result: { summary: 'x', gate: { ...gate(true), markdown: 'y'.repeat(59_000) } } }, docs: { result: { summary: 'x', gate: { ...gate(true), markdown: 'z'.repeat(59_000) } } } });
    const body = renderPullRequestBody(feature, tasks);
    expect(body.length).toBeLessThanOrEqual(60_000);
    expect(body.endsWith('_(truncated)_')).toBe(true);
  });

  it('sums usage only over tasks that recorded it', () => {
    expect(totalUsage(featureWith({}).tasks)).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 });
  });
});

describe('featureMetrics', () => {
  const at = (second: number) => new Date(Date.UTC(2026, 10, 25, 10, 0, second)).toISOString();
  const taskEvent = (taskId: string, from: Task['status'], to: Task['status'], second: number): FeatureEvent => ({
    type: 'task.status',
    featureId: 'f',
    id: `${taskId}-${to}-${second}`,
    at: at(second),
    taskId,
    from,
    to,
  });

  it('measures lead time, agent and queued time, parallelism, coverage and conflicts from the log', () => {
    const { feature, tasks } = featureWith({
      endpoint: { result: { summary: 'ok', conflictsResolved: ['b.md', 'a.md'] } },
      docs: { result: { summary: 'ok', gate: gate(true, 88.2), conflictsResolved: ['a.md'] } },
    });
    const created = { ...feature, createdAt: at(0), status: 'merged' as const };
    const events: FeatureEvent[] = [
      taskEvent('endpoint', 'waiting', 'queued', 1),
      taskEvent('endpoint', 'queued', 'running', 2),
      taskEvent('endpoint', 'running', 'succeeded', 6),
      taskEvent('tests', 'waiting', 'queued', 6),
      taskEvent('docs', 'waiting', 'queued', 6),
      taskEvent('tests', 'queued', 'running', 7),
      taskEvent('docs', 'queued', 'running', 9),
      taskEvent('docs', 'running', 'succeeded', 10),
      taskEvent('tests', 'running', 'succeeded', 12),
      { type: 'feature.status', featureId: 'f', id: 'pr', at: at(14), from: 'gating', to: 'pr_open' },
      { type: 'feature.status', featureId: 'f', id: 'm', at: at(18), from: 'pr_open', to: 'merged' },
    ];
    const metrics = featureMetrics(created, tasks, events, at(59));
    expect(metrics.leadTimeSeconds).toBe(18);
    expect(metrics.agentSeconds).toBe(4 + 5 + 1);
    expect(metrics.queuedSeconds).toBe(1 + 1 + 3);
    expect(metrics.maxParallelism).toBe(2);
    expect(metrics.tasksPerHour).toBe(600);
    expect(metrics.coverage).toEqual({ after: 88.2 });
    expect(metrics.conflictsResolved).toEqual(['a.md', 'b.md']);
    expect(metrics.perTask.find((task) => task.taskId === 'tests')).toMatchObject({ agentSeconds: 5, queuedSeconds: 1 });
  });

  it('counts a task still running up to now', () => {
    const { feature, tasks } = featureWith({});
    const metrics = featureMetrics({ ...feature, createdAt: at(0), status: 'running' }, tasks, [taskEvent('endpoint', 'queued', 'running', 5)], at(30));
    expect(metrics.agentSeconds).toBe(25);
    expect(metrics.leadTimeSeconds).toBe(30);
  });

  it('does not count back-to-back intervals as parallel', () => {
    expect(maxOverlap([[0, 5], [5, 10], [5, 7]])).toBe(2);
    expect(maxOverlap([])).toBe(0);
  });
});
