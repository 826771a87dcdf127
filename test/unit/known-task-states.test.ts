import { describe, expect, it } from 'vitest';
import type { TaskState } from '../../lambdas/core/task.js';
import { KnownTaskStates } from '../../lambdas/use-cases/known-task-states.js';

const state = (id: string, version: number, overrides: Partial<TaskState> = {}): TaskState => ({
  id,
  featureId: 'feat',
  agentType: 'code',
  dependsOn: [],
  estimatedSeconds: 1,
  status: 'waiting',
  waitToken: `${id}-token`,
  version,
  ...overrides,
});

describe('KnownTaskStates (what a process knows of a feature’s tasks, for hand-overs)', () => {
  it('keeps the newer state of each task, whichever read lands last, in the first read’s order', () => {
    const known = new KnownTaskStates();
    known.noteRead('f', [state('a', 3), state('b', 1)]);
    known.noteRead('f', [state('a', 2, { status: 'pending' }), state('b', 2, { status: 'queued' })]);

    expect(known.of('f')).toEqual([state('a', 3), state('b', 2, { status: 'queued' })]);
  });

  it('marks a release at the next version without its spent token; a read of that version or later replaces the note', () => {
    const known = new KnownTaskStates();
    known.noteRead('f', [state('a', 3)]);
    known.noteReleased('f', state('a', 3));
    const { waitToken: _spent, ...released } = state('a', 4, { status: 'queued' });
    expect(known.of('f')).toEqual([released]);

    known.noteRead('f', [state('a', 3)]); // a read that started before the release
    expect(known.of('f')).toEqual([released]);
    known.noteRead('f', [state('a', 4, { status: 'queued', waitToken: undefined }), state('b', 0)]);
    expect(known.of('f')?.map((t) => `${t.id}:${t.status}@${t.version}`)).toEqual(['a:queued@4', 'b:waiting@0']);
  });

  it('ignores releases of features and tasks it does not follow, and forgets a feature on request', () => {
    const known = new KnownTaskStates();
    known.noteReleased('f', state('a', 1));
    expect(known.of('f')).toBeUndefined();
    known.noteRead('f', [state('a', 1)]);
    known.noteReleased('f', state('zz', 1));
    expect(known.of('f')?.map((t) => t.id)).toEqual(['a']);
    known.forget('f');
    expect(known.of('f')).toBeUndefined();
  });

  it('follows at most 100 features, dropping the least recently read', () => {
    const known = new KnownTaskStates();
    for (let i = 0; i < 101; i++) known.noteRead(`f${i}`, [state('a', 0)]);
    expect(known.of('f0')).toBeUndefined();
    expect(known.of('f1')).toBeDefined();
    known.noteRead('f1', [state('a', 1)]); // read again: now the most recent
    known.noteRead('f101', [state('a', 0)]);
    expect(known.of('f1')).toBeDefined();
    expect(known.of('f2')).toBeUndefined();
  });
});
