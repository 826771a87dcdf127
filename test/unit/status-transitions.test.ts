import { describe, expect, it } from 'vitest';
import { canTransitionFeature, featureStatuses, featureTransitions, isTerminalFeatureStatus } from '../../lambdas/core/feature.js';
import { canTransitionTask, isTerminalTaskStatus, taskStatuses } from '../../lambdas/core/task.js';
import { applyFeatureTransition, applyTaskTransition } from '../../lambdas/core/transitions.js';
import { IllegalTransitionError, StaleStatusError } from '../../lambdas/core/errors.js';
import { ManualClock, sampleFeature } from '../support/fixtures.js';

describe('feature status transitions', () => {
  it('follow the happy path queued → planning → running → gating → pr_open → merged', () => {
    const path = ['queued', 'planning', 'running', 'gating', 'pr_open', 'merged'] as const;
    for (let i = 1; i < path.length; i++) expect(canTransitionFeature(path[i - 1]!, path[i]!)).toBe(true);
  });

  it('never skip the gate: running cannot open a PR, nothing but pr_open can merge', () => {
    expect(canTransitionFeature('running', 'pr_open')).toBe(false);
    for (const from of featureStatuses) expect(canTransitionFeature(from, 'merged')).toBe(from === 'pr_open');
  });

  it('let every non-terminal status fail or be cancelled, and nothing leave a terminal status', () => {
    for (const from of featureStatuses) {
      if (isTerminalFeatureStatus(from)) {
        expect(featureTransitions[from]).toEqual([]);
      } else {
        expect(canTransitionFeature(from, 'failed')).toBe(true);
        expect(canTransitionFeature(from, 'cancelled')).toBe(true);
      }
    }
    expect(featureStatuses.filter(isTerminalFeatureStatus)).toEqual(['merged', 'failed', 'cancelled']);
  });

  it('refuse self transitions', () => {
    for (const status of featureStatuses) expect(canTransitionFeature(status, status)).toBe(false);
    for (const status of taskStatuses) expect(canTransitionTask(status, status)).toBe(false);
  });
});

describe('task status transitions', () => {
  it('follow pending → waiting → queued → running → succeeded', () => {
    const path = ['pending', 'waiting', 'queued', 'running', 'succeeded'] as const;
    for (let i = 1; i < path.length; i++) expect(canTransitionTask(path[i - 1]!, path[i]!)).toBe(true);
  });

  it('allow a retry from running back to queued but never revive a finished task', () => {
    expect(canTransitionTask('running', 'queued')).toBe(true);
    for (const from of taskStatuses.filter(isTerminalTaskStatus)) {
      for (const to of taskStatuses) expect(canTransitionTask(from, to)).toBe(false);
    }
  });

  it('only skip tasks that never started', () => {
    expect(taskStatuses.filter((from) => canTransitionTask(from, 'skipped'))).toEqual(['pending', 'waiting']);
  });
});

describe('applyFeatureTransition', () => {
  const clock = new ManualClock();
  const context = { now: '2026-11-25T11:00:00.000Z', eventId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' };

  it('returns the next item and its event without touching the input', () => {
    const { feature } = sampleFeature(clock);
    const copy = structuredClone(feature);

    const { next, event } = applyFeatureTransition(feature, { to: 'planning', reason: 'go' }, context);

    expect(feature).toEqual(copy);
    expect(next).toMatchObject({ status: 'planning', statusReason: 'go', version: 1, updatedAt: context.now });
    expect(event).toEqual({ type: 'feature.status', featureId: feature.id, id: context.eventId, at: context.now, from: 'queued', to: 'planning', reason: 'go' });
  });

  it('checks the expected status before legality', () => {
    const { feature } = sampleFeature(clock);
    expect(() => applyFeatureTransition(feature, { to: 'merged', expectedFrom: 'pr_open' }, context)).toThrow(StaleStatusError);
    expect(() => applyFeatureTransition(feature, { to: 'merged' }, context)).toThrow(IllegalTransitionError);
  });
});

describe('applyTaskTransition', () => {
  it('counts attempts only when asked and keeps the result', () => {
    const { tasks } = sampleFeature(new ManualClock());
    const context = { now: '2026-11-25T11:00:00.000Z', eventId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' };
    const queued = applyTaskTransition(tasks[0]!, { to: 'queued' }, context).next;
    const running = applyTaskTransition(queued, { to: 'running', countAttempt: true }, context).next;
    const failed = applyTaskTransition(running, { to: 'failed', result: { summary: 'x', error: 'boom' } }, context);

    expect([queued.attempts, running.attempts, failed.next.attempts]).toEqual([0, 1, 1]);
    expect(failed.next.result).toEqual({ summary: 'x', error: 'boom' });
    expect(failed.event).toMatchObject({ type: 'task.status', taskId: tasks[0]!.id, from: 'running', to: 'failed' });
  });
});
