import { describe, expect, it } from 'vitest';
import { decideHandOver, decideReleases, eventSourceConcurrency, rootsToRelease } from '../../lambdas/core/scheduling.js';
import type { Task } from '../../lambdas/core/task.js';

const task = (id: string, overrides: Partial<Task> = {}): Task => ({
  id,
  featureId: 'feat',
  title: id,
  description: '',
  agentType: 'code',
  kind: 'general',
  dependsOn: [],
  acceptanceCriteria: [],
  status: 'pending',
  attempts: 0,
  estimatedSeconds: 1,
  createdAt: '2026-11-25T10:00:00.000Z',
  updatedAt: '2026-11-25T10:00:00.000Z',
  version: 0,
  ...overrides,
});

const capacity = { code: 2, test: 1, review: 1, conflict: 1 };

describe('rootsToRelease (the Plan step’s head start)', () => {
  it('takes pending roots by longest remaining path, up to each agent type’s free capacity', () => {
    const tasks = [
      task('short'),
      task('long', { estimatedSeconds: 1 }),
      task('after-long', { dependsOn: ['long'], estimatedSeconds: 10 }),
      task('mid', { estimatedSeconds: 5 }),
      task('test-root', { agentType: 'test' }),
      task('test-root-2', { agentType: 'test' }),
    ];
    expect(rootsToRelease(tasks, { policy: 'priority', capacity })).toEqual(['long', 'mid', 'test-root']);
  });

  it('keeps plan order under fifo, and counts what is already queued or running', () => {
    const tasks = [task('a'), task('b', { status: 'running' }), task('c'), task('d', { dependsOn: ['a'] })];
    expect(rootsToRelease(tasks, { policy: 'fifo', capacity })).toEqual(['a']);
  });

  it('releases nothing that has started or waits on others', () => {
    const tasks = [task('a', { status: 'waiting', waitToken: 't' }), task('b', { dependsOn: ['a'] })];
    expect(rootsToRelease(tasks, { policy: 'priority', capacity })).toEqual([]);
  });
});

describe('decideReleases', () => {
  it('runs waiting tasks whose dependencies succeeded within capacity and skips those behind a failure', () => {
    const tasks = [
      task('done', { status: 'succeeded' }),
      task('broken', { status: 'failed' }),
      task('ready-1', { status: 'waiting', waitToken: 't1', dependsOn: ['done'] }),
      task('ready-2', { status: 'waiting', waitToken: 't2', dependsOn: ['done'], estimatedSeconds: 9 }),
      task('ready-3', { status: 'waiting', waitToken: 't3', dependsOn: ['done'] }),
      task('blocked', { status: 'waiting', waitToken: 't4', dependsOn: ['broken'] }),
      task('unregistered', { status: 'pending', dependsOn: ['done'] }),
    ];
    const decision = decideReleases(tasks, { policy: 'priority', capacity });
    expect(decision.run).toEqual(['ready-2', 'ready-1']);
    expect(decision.skip).toEqual([{ taskId: 'blocked', reason: 'dependency broken failed' }]);
  });
});

describe('decideHandOver (a finishing task’s agent, handed on)', () => {
  const options = { policy: 'priority' as const, capacity };

  it('picks the best task ready once the finisher has succeeded, of the finisher’s agent type', () => {
    const tasks = [
      task('finisher', { status: 'running' }),
      task('busy', { status: 'running' }),
      task('its-child', { status: 'waiting', waitToken: 't1', dependsOn: ['finisher'], estimatedSeconds: 2 }),
      task('long-ready', { status: 'waiting', waitToken: 't2', estimatedSeconds: 1 }),
      task('after-long', { status: 'pending', dependsOn: ['long-ready'], estimatedSeconds: 9 }),
      task('tester', { status: 'waiting', waitToken: 't3', agentType: 'test', dependsOn: ['finisher'], estimatedSeconds: 50 }),
    ];
    // long-ready heads a 10 s path; the test task is longer still, but the finisher's agent writes code.
    expect(decideHandOver(tasks, 'finisher', options)).toBe('long-ready');
    expect(decideHandOver(tasks.filter((t) => t.id !== 'long-ready' && t.id !== 'after-long'), 'finisher', options)).toBe('its-child');
  });

  it('hands over nothing when no ready task waits, or when the finisher holds no agent', () => {
    const waitingOnOther = [
      task('finisher', { status: 'running' }),
      task('other', { status: 'running' }),
      task('child', { status: 'waiting', waitToken: 't', dependsOn: ['finisher', 'other'] }),
      task('unregistered', { status: 'pending', dependsOn: ['finisher'] }),
    ];
    expect(decideHandOver(waitingOnOther, 'finisher', options)).toBeUndefined();
    const notInFlight = [task('finisher', { status: 'waiting', waitToken: 'x' }), task('ready', { status: 'waiting', waitToken: 't' })];
    expect(decideHandOver(notInFlight, 'finisher', options)).toBeUndefined();
    expect(decideHandOver(notInFlight, 'unknown', options)).toBeUndefined();
  });

  it('keeps the agent type within capacity even when the view is old: only a free slot is handed on', () => {
    // The view shows more code tasks in flight than there are agents (two handed over at once elsewhere).
    const tasks = [
      task('finisher', { status: 'running' }),
      task('x', { status: 'running' }),
      task('y', { status: 'queued' }),
      task('ready', { status: 'waiting', waitToken: 't' }),
    ];
    expect(decideHandOver(tasks, 'finisher', options)).toBeUndefined();
  });
});

describe('eventSourceConcurrency', () => {
  it('is one invocation above the agents, so a handed-over task never waits for its predecessor’s worker', () => {
    expect(eventSourceConcurrency(1)).toBe(2);
    expect(eventSourceConcurrency(8)).toBe(9);
  });
});
