import { describe, expect, it } from 'vitest';
import { InvalidPlanError } from '../../lambdas/core/errors.js';
import { topologicalOrder } from '../../lambdas/core/task-graph.js';
import { buildNewFeature, featureRequestSchema } from '../../lambdas/core/new-feature.js';
import { featureSchema } from '../../lambdas/core/feature.js';
import { taskSchema } from '../../lambdas/core/task.js';
import { fingerprint } from '../../lambdas/use-cases/features.js';

const context = { id: 'feat_01ARZ3NDEKTSV4RRFFQ69G5FAV', now: '2026-11-25T10:00:00.000Z', defaults: { repo: 'demo', baseBranch: 'main' } };

describe('topologicalOrder', () => {
  it('puts dependencies first and, among ready tasks, the one listed first', () => {
    const order = topologicalOrder([
      { id: 'docs', dependsOn: ['api', 'db'] },
      { id: 'api', dependsOn: ['db'] },
      { id: 'db', dependsOn: [] },
      { id: 'ui', dependsOn: [] },
    ]);
    expect(order).toEqual(['db', 'api', 'docs', 'ui']);
  });

  it.each([
    ['a self dependency', [{ id: 'a', dependsOn: ['a'] }], [0, 'dependsOn', 0]],
    ['an unknown dependency', [{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['zz'] }], [1, 'dependsOn', 0]],
    ['a duplicate id', [{ id: 'a', dependsOn: [] }, { id: 'a', dependsOn: [] }], [1, 'id']],
    ['a cycle', [{ id: 'x', dependsOn: [] }, { id: 'a', dependsOn: ['c'] }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['b'] }], [1, 'dependsOn']],
  ])('refuses %s, naming where', (_name, nodes, path) => {
    try {
      topologicalOrder(nodes);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPlanError);
      expect((error as InvalidPlanError).path).toEqual(path);
    }
  });

  it('tolerates a dependency listed twice', () => {
    expect(topologicalOrder([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a', 'a'] }])).toEqual(['a', 'b']);
  });
});

describe('buildNewFeature', () => {
  it('builds a queued feature and pending tasks that satisfy the contracts', () => {
    const request = featureRequestSchema.parse({
      title: '  Add search  ',
      description: 'Full-text search over notes',
      tasks: [{ title: 'Index' }, { title: 'Query', dependsOn: ['t1'], agentType: 'code' }],
    });

    const { feature, tasks } = buildNewFeature(request, context);

    expect(featureSchema.parse(feature)).toEqual(feature);
    for (const task of tasks) expect(taskSchema.parse(task)).toEqual(task);
    expect(feature).toMatchObject({ title: 'Add search', repo: 'demo', baseBranch: 'main', status: 'queued', taskIds: ['t1', 't2'] });
    expect(tasks.map((t) => [t.id, t.status, t.agentType, t.attempts])).toEqual([
      ['t1', 'pending', 'code', 0],
      ['t2', 'pending', 'code', 0],
    ]);
  });

  it('prefixes plan errors with the tasks field', () => {
    const request = featureRequestSchema.parse({ title: 'x', description: 'y', tasks: [{ id: 'a', title: 'A', dependsOn: ['b'] }] });
    expect(() => buildNewFeature(request, context)).toThrow(expect.objectContaining({ path: ['tasks', 0, 'dependsOn', 0] }));
  });

  it('accepts a feature without tasks, leaving the plan to the planner', () => {
    const { feature, tasks } = buildNewFeature(featureRequestSchema.parse({ title: 'x', description: 'y' }), context);
    expect(feature.taskIds).toEqual([]);
    expect(tasks).toEqual([]);
  });
});

describe('request fingerprint', () => {
  it('ignores key order but not content', () => {
    const a = featureRequestSchema.parse({ title: 'x', description: 'y', repo: 'r' });
    const b = featureRequestSchema.parse({ repo: 'r', description: 'y', title: 'x' });
    const c = featureRequestSchema.parse({ title: 'x', description: 'y', repo: 's' });
    expect(fingerprint(a)).toBe(fingerprint(b));
    expect(fingerprint(a)).not.toBe(fingerprint(c));
  });
});

describe('priorityOrder', () => {
  it('starts the longest remaining path first among ready tasks, dependencies still first', async () => {
    const { priorityOrder } = await import('../../lambdas/core/scheduling.js');
    const order = priorityOrder([
      { id: 'short', dependsOn: [], estimatedSeconds: 1 },
      { id: 'long-head', dependsOn: [], estimatedSeconds: 1 },
      { id: 'long-tail', dependsOn: ['long-head'], estimatedSeconds: 10 },
    ]);
    expect(order).toEqual(['long-head', 'long-tail', 'short']);
  });
});
