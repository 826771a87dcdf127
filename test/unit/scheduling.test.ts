import { describe, expect, it } from 'vitest';
import { decideReleases, rootsToRelease } from '../../lambdas/core/scheduling.js';
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
