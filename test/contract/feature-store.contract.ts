import { beforeEach, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  IdempotencyKeyReusedError,
  IllegalTransitionError,
  InvalidCursorError,
  NotFoundError,
  StaleStatusError,
} from '../../lambdas/core/errors.js';
import type { FeatureStore } from '../../lambdas/ports/feature-store.js';
import { ManualClock, sampleFeature } from '../support/fixtures.js';
import { featureRequestSchema } from '../../lambdas/core/new-feature.js';

export interface StoreUnderTest {
  store: FeatureStore;
  clock: ManualClock;
}

/**
 * The one behavioural contract of FeatureStore. Every implementation runs it:
 * the in-memory fake here, DynamoDB against DynamoDB Local.
 */
export function describeFeatureStoreContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`FeatureStore contract: ${name}`, () => {
    let store: FeatureStore;
    let clock: ManualClock;

    beforeEach(async () => {
      ({ store, clock } = await make());
    });

    async function created(overrides: Parameters<typeof sampleFeature>[1] = {}) {
      const { feature, tasks } = sampleFeature(clock, overrides);
      await store.createFeature({ feature, tasks });
      return { feature, tasks };
    }

    describe('createFeature', () => {
      it('stores the feature, its tasks in topological order and a created event', async () => {
        const { feature, tasks } = await created();

        expect(await store.getFeature(feature.id)).toEqual(feature);
        expect(await store.listTasks(feature.id)).toEqual(tasks);
        expect((await store.listTasks(feature.id)).map((t) => t.id)).toEqual(['endpoint', 'tests', 'docs']);
        expect(await store.getTask(feature.id, 'tests')).toEqual(tasks[1]);
        const events = await store.listEvents(feature.id);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ type: 'feature.created', featureId: feature.id, taskCount: 3 });
      });

      it('keeps where a feature came from through reads, lists, plans and transitions', async () => {
        const { feature: sample } = sampleFeature(clock, { tasks: undefined });
        const feature = { ...sample, source: { kind: 'github_issue' as const, repo: 'octo/app', issueNumber: 7 } };
        await store.createFeature({ feature, tasks: [] });

        await store.transitionFeature(feature.id, { to: 'planning' });
        await store.savePlan(feature.id, sampleFeature(clock).tasks.map((task) => ({ ...task, featureId: feature.id })));
        const running = await store.transitionFeature(feature.id, { to: 'running' });

        expect(running.source).toEqual(feature.source);
        expect((await store.getFeature(feature.id))?.source).toEqual(feature.source);
        expect((await store.getFeatureWithTasks(feature.id))?.feature.source).toEqual(feature.source);
        expect((await store.listFeatures({ limit: 100 })).items.find((f) => f.id === feature.id)?.source).toEqual(feature.source);
      });

      it('stores a plan bigger than one transaction, in order', async () => {
        const many = Array.from({ length: 150 }, (_, i) => ({ id: `t${i}`, title: `task ${i}`, ...(i > 0 ? { dependsOn: [`t${i - 1}`] } : {}) }));
        const { feature, tasks } = sampleFeature(clock, { tasks: featureRequestSchema.parse({ title: 'x', description: 'y', tasks: many }).tasks! });

        await store.createFeature({ feature, tasks });

        expect((await store.listTasks(feature.id)).map((t) => t.id)).toEqual(many.map((t) => t.id));
        expect(await store.getFeature(feature.id)).toEqual(feature);
      });

      it('refuses a big plan under an existing feature id without touching the stored tasks', async () => {
        const many = Array.from({ length: 120 }, (_, i) => ({ id: i === 110 ? 'endpoint' : `t${i}`, title: `task ${i}` }));
        const { feature, tasks } = await created();
        const big = sampleFeature(clock, { tasks: featureRequestSchema.parse({ title: 'x', description: 'y', tasks: many }).tasks! });

        await expect(store.createFeature({ feature: { ...big.feature, id: feature.id }, tasks: big.tasks.map((t) => ({ ...t, featureId: feature.id })) })).rejects.toBeInstanceOf(AlreadyExistsError);

        expect(await store.listTasks(feature.id)).toEqual(tasks);
        expect(await store.getTask(feature.id, 't1')).toBeUndefined();
      });

      it('refuses a second feature with the same id and keeps the first', async () => {
        const { feature, tasks } = await created();
        const impostor = { ...feature, title: 'Something else' };

        await expect(store.createFeature({ feature: impostor, tasks: [] })).rejects.toBeInstanceOf(AlreadyExistsError);
        expect(await store.getFeature(feature.id)).toEqual(feature);
        expect(await store.listTasks(feature.id)).toEqual(tasks);
      });

      it('returns the first feature for a replayed idempotency key with the same fingerprint', async () => {
        const claim = { key: 'key-1', fingerprint: 'abc', expiresAt: new Date(clock.now().getTime() + 60_000) };
        const first = sampleFeature(clock);
        const second = sampleFeature(clock);

        const a = await store.createFeature({ ...first, idempotency: claim });
        const b = await store.createFeature({ ...second, idempotency: claim });

        expect(a).toEqual({ feature: first.feature, created: true });
        expect(b).toEqual({ feature: first.feature, created: false });
        expect(await store.getFeature(second.feature.id)).toBeUndefined();
      });

      it('refuses an idempotency key reused with another fingerprint, creating nothing', async () => {
        const expiresAt = new Date(clock.now().getTime() + 60_000);
        await store.createFeature({ ...sampleFeature(clock), idempotency: { key: 'key-2', fingerprint: 'abc', expiresAt } });
        const other = sampleFeature(clock);

        await expect(
          store.createFeature({ ...other, idempotency: { key: 'key-2', fingerprint: 'xyz', expiresAt } }),
        ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
        expect(await store.getFeature(other.feature.id)).toBeUndefined();
        expect(await store.listTasks(other.feature.id)).toEqual([]);
      });

      it('lets an expired idempotency key be claimed again', async () => {
        const first = sampleFeature(clock);
        await store.createFeature({
          ...first,
          idempotency: { key: 'key-3', fingerprint: 'abc', expiresAt: new Date(clock.now().getTime() + 1_000) },
        });
        clock.advance(5_000);
        const second = sampleFeature(clock);

        const result = await store.createFeature({
          ...second,
          idempotency: { key: 'key-3', fingerprint: 'xyz', expiresAt: new Date(clock.now().getTime() + 60_000) },
        });

        expect(result).toEqual({ feature: second.feature, created: true });
      });
    });

    describe('transitionFeature', () => {
      it('moves a legal transition, bumps the version and records the event', async () => {
        const { feature } = await created();
        clock.advance(1_000);

        const next = await store.transitionFeature(feature.id, { to: 'planning', reason: 'picked up' });

        expect(next).toMatchObject({ status: 'planning', statusReason: 'picked up', version: 1, updatedAt: clock.now().toISOString() });
        expect(await store.getFeature(feature.id)).toEqual(next);
        const events = await store.listEvents(feature.id);
        expect(events.at(-1)).toMatchObject({ type: 'feature.status', from: 'queued', to: 'planning', reason: 'picked up' });
      });

      it('clears the previous status reason on the next transition', async () => {
        const { feature } = await created();
        await store.transitionFeature(feature.id, { to: 'planning', reason: 'picked up' });

        const next = await store.transitionFeature(feature.id, { to: 'running' });

        expect(next.statusReason).toBeUndefined();
        expect((await store.getFeature(feature.id))?.statusReason).toBeUndefined();
      });

      it('refuses an illegal transition and leaves item and log unchanged', async () => {
        const { feature } = await created();
        const eventsBefore = await store.listEvents(feature.id);

        await expect(store.transitionFeature(feature.id, { to: 'merged' })).rejects.toBeInstanceOf(IllegalTransitionError);

        expect(await store.getFeature(feature.id)).toEqual(feature);
        expect(await store.listEvents(feature.id)).toEqual(eventsBefore);
      });

      it('refuses any transition out of a terminal status', async () => {
        const { feature } = await created();
        const cancelled = await store.transitionFeature(feature.id, { to: 'cancelled' });

        await expect(store.transitionFeature(feature.id, { to: 'planning' })).rejects.toBeInstanceOf(IllegalTransitionError);
        expect(await store.getFeature(feature.id)).toEqual(cancelled);
      });

      it('refuses a transition whose expected source status is stale', async () => {
        const { feature } = await created();

        await expect(
          store.transitionFeature(feature.id, { to: 'running', expectedFrom: 'planning' }),
        ).rejects.toBeInstanceOf(StaleStatusError);
        expect(await store.getFeature(feature.id)).toEqual(feature);
      });

      it('lets exactly one of two concurrent transitions from the same status win', async () => {
        const { feature } = await created();

        const results = await Promise.allSettled([
          store.transitionFeature(feature.id, { to: 'planning', expectedFrom: 'queued' }),
          store.transitionFeature(feature.id, { to: 'planning', expectedFrom: 'queued' }),
        ]);

        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(rejected).toHaveLength(1);
        expect(rejected[0]!.reason).toBeInstanceOf(StaleStatusError);
        expect(await store.getFeature(feature.id)).toMatchObject({ status: 'planning', version: 1 });
        const statusEvents = (await store.listEvents(feature.id)).filter((e) => e.type === 'feature.status');
        expect(statusEvents).toHaveLength(1);
      });

      it('lets exactly one of several concurrent terminal transitions win, without expected status', async () => {
        const { feature } = await created();
        await store.transitionFeature(feature.id, { to: 'planning' });
        await store.transitionFeature(feature.id, { to: 'running' });

        // All targets are terminal, so after the first write every other one is illegal: a lost update would show as 2+ winners.
        const targets = ['failed', 'cancelled', 'failed', 'cancelled'] as const;
        const results = await Promise.allSettled(targets.map((to) => store.transitionFeature(feature.id, { to })));

        const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        expect(winners).toHaveLength(1);
        const stored = await store.getFeature(feature.id);
        expect(stored).toEqual(winners[0]);
        expect(stored?.version).toBe(3);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(IllegalTransitionError);
        const statusEvents = (await store.listEvents(feature.id)).filter((e) => e.type === 'feature.status');
        expect(statusEvents.map((e) => e.type === 'feature.status' && e.to)).toEqual(['planning', 'running', stored!.status]);
      });

      it('reports an unknown feature as not found', async () => {
        await expect(store.transitionFeature('feat_01ARZ3NDEKTSV4RRFFQ69G5FAV', { to: 'planning' })).rejects.toBeInstanceOf(
          NotFoundError,
        );
      });
    });

    describe('transitionTask', () => {
      it('records status, attempts, result and an event', async () => {
        const { feature } = await created();
        await store.transitionTask(feature.id, 'endpoint', { to: 'queued' });

        const running = await store.transitionTask(feature.id, 'endpoint', { to: 'running', countAttempt: true });
        const done = await store.transitionTask(feature.id, 'endpoint', {
          to: 'succeeded',
          result: { summary: 'added GET /health', commit: 'abc123' },
        });

        expect(running).toMatchObject({ status: 'running', attempts: 1, version: 2 });
        expect(done).toMatchObject({ status: 'succeeded', attempts: 1, version: 3, result: { summary: 'added GET /health', commit: 'abc123' } });
        expect(await store.getTask(feature.id, 'endpoint')).toEqual(done);
        const taskEvents = (await store.listEvents(feature.id)).filter((e) => e.type === 'task.status');
        expect(taskEvents.map((e) => e.type === 'task.status' && `${e.taskId}:${e.from}->${e.to}`)).toEqual([
          'endpoint:pending->queued',
          'endpoint:queued->running',
          'endpoint:running->succeeded',
        ]);
      });

      it('refuses an illegal task transition and leaves the task unchanged', async () => {
        const { feature, tasks } = await created();

        await expect(store.transitionTask(feature.id, 'tests', { to: 'succeeded' })).rejects.toBeInstanceOf(IllegalTransitionError);
        expect(await store.getTask(feature.id, 'tests')).toEqual(tasks[1]);
      });

      it('lets exactly one of two concurrent task transitions from the same status win', async () => {
        const { feature } = await created();

        const results = await Promise.allSettled([
          store.transitionTask(feature.id, 'endpoint', { to: 'queued', expectedFrom: 'pending' }),
          store.transitionTask(feature.id, 'endpoint', { to: 'queued', expectedFrom: 'pending' }),
        ]);

        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(await store.getTask(feature.id, 'endpoint')).toMatchObject({ status: 'queued', version: 1 });
      });

      it('reports an unknown task as not found', async () => {
        const { feature } = await created();
        await expect(store.transitionTask(feature.id, 'nope', { to: 'queued' })).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('transitionTaskInPlace', () => {
      it('moves a task from the status it is known in, keeps its content, and records the event', async () => {
        const { feature, tasks } = await created();
        await store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'waiting', expectedFrom: 'pending', waitToken: 'token-1' });
        await store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'queued', expectedFrom: 'waiting', expectedVersion: 1, reason: 'released' });
        await store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'running', expectedFrom: 'queued', countAttempt: true, attemptToken: 'digest-1' });
        await store.transitionTaskInPlace(feature.id, 'endpoint', {
          to: 'succeeded',
          expectedFrom: 'running',
          expectedAttempts: 1,
          result: { summary: 'added GET /health' },
        });

        const stored = await store.getTask(feature.id, 'endpoint');
        const { updatedAt: _updatedAt, ...content } = tasks[0]!;
        expect(stored).toEqual({ ...content, status: 'succeeded', attempts: 1, version: 4, result: { summary: 'added GET /health' }, updatedAt: expect.any(String) });
        const taskEvents = (await store.listEvents(feature.id)).filter((e) => e.type === 'task.status');
        expect(taskEvents.map((e) => e.type === 'task.status' && `${e.from}->${e.to}${e.reason ? ` (${e.reason})` : ''}`)).toEqual([
          'pending->waiting',
          'waiting->queued (released)',
          'queued->running',
          'running->succeeded',
        ]);
      });

      it('sets and clears the wait token, attempt token and reason as transitionTask does', async () => {
        const { feature } = await created();
        await store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'waiting', expectedFrom: 'pending', waitToken: 'token-1' });
        const waiting = await store.getTask(feature.id, 'endpoint');
        await store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'queued', expectedFrom: 'waiting', reason: 'released' });
        const queued = await store.getTask(feature.id, 'endpoint');
        await store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'running', expectedFrom: 'queued', attemptToken: 'digest-1' });
        const running = await store.getTask(feature.id, 'endpoint');
        await store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'queued', expectedFrom: 'running' });

        expect(waiting).toMatchObject({ waitToken: 'token-1' });
        expect(queued).toMatchObject({ statusReason: 'released' });
        expect(queued?.waitToken).toBeUndefined();
        expect(running).toMatchObject({ attemptToken: 'digest-1' });
        expect(running?.statusReason).toBeUndefined();
        expect((await store.getTask(feature.id, 'endpoint'))?.attemptToken).toBeUndefined();
      });

      it('refuses a stale status, version or attempt and leaves the task and the log unchanged', async () => {
        const { feature } = await created();
        const queued = await store.transitionTask(feature.id, 'endpoint', { to: 'queued' });
        const eventsBefore = await store.listEvents(feature.id);

        await expect(store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'waiting', expectedFrom: 'pending' })).rejects.toBeInstanceOf(StaleStatusError);
        await expect(store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'waiting', expectedFrom: 'pending' })).rejects.toThrow(/is queued/);
        await expect(
          store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'running', expectedFrom: 'queued', expectedVersion: 0 }),
        ).rejects.toBeInstanceOf(StaleStatusError);
        await expect(
          store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'running', expectedFrom: 'queued', expectedAttempts: 3 }),
        ).rejects.toBeInstanceOf(StaleStatusError);
        expect(await store.getTask(feature.id, 'endpoint')).toEqual(queued);
        expect(await store.listEvents(feature.id)).toEqual(eventsBefore);
      });

      it('refuses an illegal move and an unknown task', async () => {
        const { feature } = await created();

        await expect(store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'succeeded', expectedFrom: 'pending' })).rejects.toBeInstanceOf(
          IllegalTransitionError,
        );
        await expect(store.transitionTaskInPlace(feature.id, 'nope', { to: 'queued', expectedFrom: 'pending' })).rejects.toBeInstanceOf(NotFoundError);
      });

      it('lets exactly one of two concurrent moves from the same status win', async () => {
        const { feature } = await created();

        const results = await Promise.allSettled([
          store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'waiting', expectedFrom: 'pending', waitToken: 'a' }),
          store.transitionTaskInPlace(feature.id, 'endpoint', { to: 'waiting', expectedFrom: 'pending', waitToken: 'b' }),
        ]);

        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(await store.getTask(feature.id, 'endpoint')).toMatchObject({ status: 'waiting', version: 1 });
      });
    });

    describe('orchestration writes', () => {
      it('reads the scheduling view: the feature status and each task state, in order, without content', async () => {
        const { feature, tasks } = await created();
        await store.transitionTask(feature.id, 'endpoint', { to: 'waiting', waitToken: 'token-1' });

        const view = await store.getSchedulingView(feature.id);

        expect(view?.feature).toEqual({ id: feature.id, status: feature.status });
        expect(view?.tasks).toEqual(
          tasks.map((task) => ({
            id: task.id,
            featureId: task.featureId,
            agentType: task.agentType,
            dependsOn: task.dependsOn,
            estimatedSeconds: task.estimatedSeconds,
            status: task.id === 'endpoint' ? 'waiting' : task.status,
            version: task.id === 'endpoint' ? task.version + 1 : task.version,
            ...(task.id === 'endpoint' ? { waitToken: 'token-1' } : {}),
          })),
        );
        expect(await store.getSchedulingView('feat_01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeUndefined();
      });

      it('keeps a wait token only while the task waits, and replaces it only then', async () => {
        const { feature } = await created();
        const waiting = await store.transitionTask(feature.id, 'endpoint', { to: 'waiting', waitToken: 'token-1' });
        const replaced = await store.replaceWaitToken(feature.id, 'endpoint', 'token-2');

        const queued = await store.transitionTask(feature.id, 'endpoint', { to: 'queued', expectedVersion: replaced.version });

        expect(waiting.waitToken).toBe('token-1');
        expect(replaced).toMatchObject({ waitToken: 'token-2', version: waiting.version + 1 });
        expect(queued.waitToken).toBeUndefined();
        expect((await store.getTask(feature.id, 'endpoint'))?.waitToken).toBeUndefined();
        await expect(store.replaceWaitToken(feature.id, 'endpoint', 'token-3')).rejects.toBeInstanceOf(StaleStatusError);
      });

      it('reads a task and its feature in one call, and says which is missing', async () => {
        const { feature, tasks } = await created();

        expect(await store.getFeatureAndTask(feature.id, tasks[1]!.id)).toEqual({ feature, task: tasks[1] });
        expect(await store.getFeatureAndTask(feature.id, 'no-such-task')).toEqual({ feature });
        expect(await store.getFeatureAndTask('feat_01ARZ3NDEKTSV4RRFFQ69G5FAV', tasks[1]!.id)).toEqual({});
      });

      it('reads a feature with its tasks in one call', async () => {
        const { feature, tasks } = await created();

        expect(await store.getFeatureWithTasks(feature.id)).toEqual({ feature, tasks });
        expect(await store.getFeatureWithTasks('feat_01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeUndefined();
      });

      it('writes against a caller\'s copy of a task, and against a fresh read when the copy is stale', async () => {
        const { feature, tasks } = await created();
        const stale = tasks[0]!;
        const queued = await store.transitionTask(feature.id, 'endpoint', { to: 'queued' }, { current: stale });

        const running = await store.transitionTask(feature.id, 'endpoint', { to: 'running', countAttempt: true }, { current: stale });

        expect(queued).toMatchObject({ status: 'queued', version: 1 });
        expect(running).toMatchObject({ status: 'running', version: 2, attempts: 1 });
        expect(await store.getTask(feature.id, 'endpoint')).toEqual(running);
        const statusEvents = (await store.listEvents(feature.id)).filter((e) => e.type === 'task.status');
        expect(statusEvents).toHaveLength(2);
      });

      it('refuses a task write against a stale version or attempt', async () => {
        const { feature } = await created();
        const queued = await store.transitionTask(feature.id, 'endpoint', { to: 'queued' });
        const running = await store.transitionTask(feature.id, 'endpoint', { to: 'running', countAttempt: true });

        await expect(
          store.transitionTask(feature.id, 'endpoint', { to: 'succeeded', expectedVersion: queued.version }),
        ).rejects.toBeInstanceOf(StaleStatusError);
        await expect(
          store.transitionTask(feature.id, 'endpoint', { to: 'succeeded', expectedAttempts: 0 }),
        ).rejects.toBeInstanceOf(StaleStatusError);
        expect(await store.getTask(feature.id, 'endpoint')).toEqual(running);
      });

      it('saves a plan once, atomically, on a planning feature without tasks', async () => {
        const { feature } = await created({ tasks: [] });
        const planned = sampleFeature(clock).tasks.map((task) => ({ ...task, featureId: feature.id }));
        await expect(store.savePlan(feature.id, planned)).rejects.toBeInstanceOf(StaleStatusError);
        await store.transitionFeature(feature.id, { to: 'planning' });

        const saved = await store.savePlan(feature.id, planned);

        expect(saved.taskIds).toEqual(['endpoint', 'tests', 'docs']);
        expect(await store.listTasks(feature.id)).toEqual(planned);
        expect((await store.listEvents(feature.id)).at(-1)).toMatchObject({ type: 'note', message: expect.stringContaining('planned 3 tasks') });
        await expect(store.savePlan(feature.id, planned)).rejects.toBeInstanceOf(StaleStatusError);
      });
    });

    describe('webhook deliveries', () => {
      it('claims a delivery id once until it expires', async () => {
        const expiresAt = new Date(clock.now().getTime() + 10_000);

        const first = await store.claimDelivery('delivery-1', expiresAt);
        const again = await store.claimDelivery('delivery-1', expiresAt);
        const other = await store.claimDelivery('delivery-2', expiresAt);
        clock.advance(20_000);
        const afterExpiry = await store.claimDelivery('delivery-1', new Date(clock.now().getTime() + 10_000));

        expect([first, again, other, afterExpiry]).toEqual([true, false, true, true]);
      });

      it('lets a released delivery be claimed again', async () => {
        const expiresAt = new Date(clock.now().getTime() + 10_000);
        await store.claimDelivery('delivery-3', expiresAt);

        await store.releaseDelivery('delivery-3');

        expect(await store.claimDelivery('delivery-3', expiresAt)).toBe(true);
      });
    });

    describe('listFeatures', () => {
      it('pages newest first and ends without a cursor', async () => {
        const made = [];
        for (let i = 0; i < 5; i++) made.push((await created({ title: `feature ${i}` })).feature);

        const first = await store.listFeatures({ limit: 2 });
        const second = await store.listFeatures({ limit: 2, cursor: first.nextCursor! });
        const third = await store.listFeatures({ limit: 2, cursor: second.nextCursor! });

        expect([...first.items, ...second.items, ...third.items].map((f) => f.title)).toEqual([
          'feature 4',
          'feature 3',
          'feature 2',
          'feature 1',
          'feature 0',
        ]);
        expect(third.nextCursor).toBeUndefined();
      });

      it('gives no cursor when the page is exactly the rest', async () => {
        await created();
        await created();

        const page = await store.listFeatures({ limit: 2 });

        expect(page.items).toHaveLength(2);
        expect(page.nextCursor).toBeUndefined();
      });

      it('refuses a cursor it did not issue', async () => {
        await expect(store.listFeatures({ limit: 2, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
      });
    });

    describe('events', () => {
      it('appends notes and lists events after a given id, oldest first, with a limit', async () => {
        const { feature } = await created();
        const [createdEvent] = await store.listEvents(feature.id);
        const note = await store.appendNote(feature.id, { message: 'agent started', taskId: 'endpoint' });
        await store.transitionFeature(feature.id, { to: 'planning' });

        const after = await store.listEvents(feature.id, { after: createdEvent!.id });
        const limited = await store.listEvents(feature.id, { after: createdEvent!.id, limit: 1 });

        expect(after.map((e) => e.type)).toEqual(['note', 'feature.status']);
        expect(after[0]).toEqual(note);
        expect(limited).toEqual([note]);
        expect(await store.listEvents(feature.id, { after: after[1]!.id })).toEqual([]);
      });

      it('refuses a note on an unknown feature', async () => {
        await expect(
          store.appendNote('feat_01ARZ3NDEKTSV4RRFFQ69G5FAV', { message: 'hello' }),
        ).rejects.toBeInstanceOf(NotFoundError);
      });
    });
  });
}
