import { describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '../../lambdas/adapters/memory/memory-feature-store.js';
import type { FeatureStore } from '../../lambdas/ports/feature-store.js';
import type { Workflow } from '../../lambdas/ports/workflow.js';
import { awaitDependencies, planStep, releaseReadyTasks, type OrchestrationDeps } from '../../lambdas/use-cases/orchestration.js';
import { buildNewFeature, featureRequestSchema } from '../../lambdas/core/new-feature.js';
import { ids, ManualClock, silentLogger } from '../support/fixtures.js';

/** Every store call yields to the event loop a random number of times, so concurrent use cases interleave. */
function jittery(store: FeatureStore, random: () => number): FeatureStore {
  return new Proxy(store, {
    get(target, prop: keyof FeatureStore) {
      const value = target[prop];
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        for (let i = Math.floor(random() * 8); i > 0; i--) await new Promise((resolve) => setImmediate(resolve));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

class TokenLedger implements Pick<Workflow, 'sendTaskSuccess' | 'sendTaskHeartbeat'> {
  readonly sent = new Map<string, unknown[]>();
  /** Tokens whose wait has ended (an abandoned attempt's). */
  readonly dead = new Set<string>();
  async sendTaskHeartbeat(token: string) {
    return !this.dead.has(token);
  }
  async sendTaskSuccess(token: string, output: unknown) {
    const previous = this.sent.get(token) ?? [];
    this.sent.set(token, [...previous, output]);
    return previous.length === 0;
  }
}

function seeded(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

/** A running feature with the given plan, on a memory store, as the scheduler finds it mid-execution. */
async function runningFeature(memory: MemoryFeatureStore, clock: ManualClock, tasks: unknown[]) {
  const request = featureRequestSchema.parse({ title: 't', description: 'd', tasks });
  const built = buildNewFeature(request, { id: `feat_${ids.ulid()}`, now: clock.now().toISOString(), defaults: { repo: 'r', baseBranch: 'main' } });
  await memory.createFeature(built);
  for (const to of ['planning', 'running'] as const) await memory.transitionFeature(built.feature.id, { to });
  return built.feature;
}

function orchestration(store: FeatureStore, ledger: TokenLedger, agents: number): OrchestrationDeps {
  return {
    store,
    workflow: ledger as unknown as Workflow,
    logger: silentLogger(),
    scheduling: { policy: 'priority', capacity: { code: agents, test: agents, review: agents, conflict: agents } },
  };
}

/** A running feature with the given plan on a memory store, seen by the scheduler through `wrap` when given (a counting proxy). */
async function scene(tasks: unknown[], options: { agents?: number; wrap?: (memory: MemoryFeatureStore) => FeatureStore } = {}) {
  const clock = new ManualClock();
  const memory = new MemoryFeatureStore({ clock, ids });
  const ledger = new TokenLedger();
  const deps = orchestration(options.wrap?.(memory) ?? memory, ledger, options.agents ?? 1);
  const feature = await runningFeature(memory, clock, tasks);
  return { memory, ledger, deps, feature };
}

const depAndChild = [
  { id: 'dep', title: 'dep' },
  { id: 'child', title: 'child', dependsOn: ['dep'] },
];

describe('dependency release under races', () => {
  it('never misses a dependency finishing while its dependent registers, and releases each token once', async () => {
    for (let round = 0; round < 200; round++) {
      const tasks = [
        { id: 'dep', title: 'dep' },
        { id: 'other', title: 'other' },
        { id: 'child', title: 'child', dependsOn: ['dep', 'other'] },
      ];
      const { memory, ledger, deps, feature } = await scene(tasks, { agents: 4, wrap: (memory) => jittery(memory, seeded(round + 1)) });
      const store = deps.store;
      for (const id of ['dep', 'other']) {
        for (const to of ['queued', 'running'] as const) await memory.transitionTask(feature.id, id, { to });
      }
      await memory.transitionTask(feature.id, 'other', { to: 'succeeded' });

      // A pass already under way when the writes below happen, as a concurrent worker's would be.
      const earlyPass = releaseReadyTasks(deps, feature.id);
      // The dependency finishes (and runs its scheduler pass) while the child registers its token.
      const finishDependency = (async () => {
        await store.transitionTask(feature.id, 'dep', { to: 'succeeded' });
        await releaseReadyTasks(deps, feature.id);
      })();
      const register = awaitDependencies(deps, { featureId: feature.id, taskId: 'child', taskToken: `token-${round}` });
      const extraPass = releaseReadyTasks(deps, feature.id);
      await Promise.all([earlyPass, finishDependency, register, extraPass]);

      expect(ledger.sent.get(`token-${round}`), `round ${round}`).toEqual([{ action: 'run', agentType: 'code' }]);
      expect((await memory.getTask(feature.id, 'child'))?.status).toBe('queued');
    }
  });

  it('skips a dependent whose dependency failed, once, even when registered late', async () => {
    const { memory: store, ledger, deps, feature } = await scene(depAndChild);
    await store.transitionTask(feature.id, 'dep', { to: 'failed', reason: 'boom' });

    await awaitDependencies(deps, { featureId: feature.id, taskId: 'child', taskToken: 'late' });
    await releaseReadyTasks(deps, feature.id);

    expect(ledger.sent.get('late')).toEqual([{ action: 'skip', reason: 'dependency dep failed' }]);
    expect(await store.getTask(feature.id, 'child')).toMatchObject({ status: 'skipped', statusReason: 'dependency dep failed' });
  });

  it('runs one more pass for a trigger that arrives while a pass is already reading', async () => {
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let reads = 0;
    // The first pass reads its snapshot, then stalls until the dependency has finished.
    const stallFirstView = (memory: MemoryFeatureStore) =>
      new Proxy(memory, {
        get(target, prop: keyof FeatureStore) {
          if (prop !== 'getSchedulingView') return typeof target[prop] === 'function' ? (target[prop] as (...a: unknown[]) => unknown).bind(target) : target[prop];
          return async (featureId: string) => {
            const snapshot = await target.getSchedulingView(featureId);
            if (reads++ === 0) await gate;
            return snapshot;
          };
        },
      }) as FeatureStore;
    const { memory, ledger, deps, feature } = await scene(depAndChild, { agents: 2, wrap: stallFirstView });
    for (const to of ['queued', 'running'] as const) await memory.transitionTask(feature.id, 'dep', { to });
    await memory.transitionTask(feature.id, 'child', { to: 'waiting', waitToken: 'child-token' });

    const stalePass = releaseReadyTasks(deps, feature.id);
    await new Promise((resolve) => setImmediate(resolve));
    await memory.transitionTask(feature.id, 'dep', { to: 'succeeded' });
    const trigger = releaseReadyTasks(deps, feature.id);
    openGate();
    await Promise.all([stalePass, trigger]);

    expect(ledger.sent.get('child-token')).toEqual([{ action: 'run', agentType: 'code' }]);
  });
});

describe('dependencies that succeed at once', () => {
  it('releases their dependent exactly once, whichever pass sees both successes', async () => {
    for (let round = 0; round < 100; round++) {
      const tasks = [
        { id: 'a', title: 'a' },
        { id: 'c', title: 'c' },
        { id: 'b', title: 'b', dependsOn: ['a', 'c'] },
      ];
      const { memory, ledger, deps: first, feature } = await scene(tasks, { agents: 2, wrap: (memory) => jittery(memory, seeded(round + 7)) });
      const store = first.store;
      // Each worker's own deps: passes are not coalesced across them, as in two Lambda containers.
      const second = orchestration(store, ledger, 2);
      for (const id of ['a', 'c']) for (const to of ['queued', 'running'] as const) await memory.transitionTask(feature.id, id, { to });
      await memory.transitionTask(feature.id, 'b', { to: 'waiting', waitToken: 'token-b' });

      // Each worker writes its success, then runs its pass.
      await Promise.all(
        ([['a', first], ['c', second]] as const).map(async ([id, deps]) => {
          await store.transitionTask(feature.id, id, { to: 'succeeded', result: { summary: 'ok' } });
          await releaseReadyTasks(deps, feature.id);
        }),
      );

      expect(ledger.sent.get('token-b'), `round ${round}`).toEqual([{ action: 'run', agentType: 'code' }]);
      expect((await memory.getTask(feature.id, 'b'))?.status).toBe('queued');
    }
  });
});

describe('the plan step', () => {
  it('releases the first roots up to capacity and says so in their Map items; a second call releases nothing again', async () => {
    const { memory, deps, feature } = await scene([
      { id: 'short', title: 'short', estimatedSeconds: 10 },
      { id: 'long', title: 'long', estimatedSeconds: 100 },
      { id: 'child', title: 'child', dependsOn: ['short', 'long'] },
    ]);

    const first = await planStep(deps, feature.id);
    const second = await planStep(deps, feature.id);

    // Longest remaining path first; one agent, so only that root is released.
    expect(first.tasks).toEqual([
      { taskId: 'long', release: { action: 'run', agentType: 'code' } },
      { taskId: 'short', release: { action: 'await' } },
      { taskId: 'child', release: { action: 'await' } },
    ]);
    expect(second.tasks.map((item) => item.release.action)).toEqual(['await', 'await', 'await']);
    expect((await memory.listTasks(feature.id)).map((task) => [task.id, task.status])).toEqual([
      ['short', 'pending'],
      ['long', 'queued'],
      ['child', 'pending'],
    ]);
  });

  it('lists the roots it released ahead of the other items, which keep their topological, critical-first order', async () => {
    const { deps, feature } = await scene(
      [
        { id: 'a', title: 'a', estimatedSeconds: 10 },
        { id: 'b', title: 'b', dependsOn: ['a'], estimatedSeconds: 100 },
        { id: 'c', title: 'c', estimatedSeconds: 50 },
        { id: 'd', title: 'd', estimatedSeconds: 5 },
      ],
      { agents: 2 },
    );

    const { tasks } = await planStep(deps, feature.id);

    // By priority alone the order is a, b, c, d; a and c hold the two agents, so their dispatches go first.
    expect(tasks.map((item) => [item.taskId, item.release.action])).toEqual([
      ['a', 'run'],
      ['c', 'run'],
      ['b', 'await'],
      ['d', 'await'],
    ]);
  });
});

describe('registering a callback', () => {
  /** The store, counting in `reads` the reads of single tasks made through it. */
  function counting(memory: MemoryFeatureStore, reads: { getTask: number }): FeatureStore {
    return new Proxy(memory, {
      get(target, prop: keyof FeatureStore) {
        const value = target[prop];
        if (typeof value !== 'function') return value;
        if (prop === 'getTask') {
          return async (...args: Parameters<FeatureStore['getTask']>) => {
            reads.getTask++;
            return target.getTask(...args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    }) as FeatureStore;
  }

  it('stores a first token without reading the task, and a retried wait replaces it after a read', async () => {
    const reads = { getTask: 0 };
    const { memory, ledger, deps, feature } = await scene(depAndChild, { wrap: (memory) => counting(memory, reads) });

    await awaitDependencies(deps, { featureId: feature.id, taskId: 'child', taskToken: 'first' });
    const readsForFirst = reads.getTask;
    await awaitDependencies(deps, { featureId: feature.id, taskId: 'child', taskToken: 'retried' });

    expect(readsForFirst).toBe(0);
    expect(reads.getTask).toBe(1);
    expect(await memory.getTask(feature.id, 'child')).toMatchObject({ status: 'waiting', waitToken: 'retried', version: 2 });
    // Its dependency has not run: neither token was released.
    expect(ledger.sent.size).toBe(0);
  });

  it('keeps the live token when a late call of the abandoned attempt registers after the retry', async () => {
    const { memory, ledger, deps, feature } = await scene(depAndChild);

    // The retry's call lands first; the first attempt's, whose token the workflow gave up on, lands last.
    await awaitDependencies(deps, { featureId: feature.id, taskId: 'child', taskToken: 'retry' });
    ledger.dead.add('abandoned');
    await awaitDependencies(deps, { featureId: feature.id, taskId: 'child', taskToken: 'abandoned' });
    for (const to of ['queued', 'running', 'succeeded'] as const) await memory.transitionTask(feature.id, 'dep', { to });
    await releaseReadyTasks(deps, feature.id);

    expect(ledger.sent.get('retry')).toEqual([{ action: 'run', agentType: 'code' }]);
    expect(ledger.sent.has('abandoned')).toBe(false);
  });

  it('answers at once for a task released before the wait began (a resumed execution)', async () => {
    const { memory, ledger, deps, feature } = await scene([{ id: 'root', title: 'root' }]);
    await memory.transitionTask(feature.id, 'root', { to: 'queued' });

    await awaitDependencies(deps, { featureId: feature.id, taskId: 'root', taskToken: 'resumed' });

    expect(ledger.sent.get('resumed')).toEqual([{ action: 'run', agentType: 'code' }]);
    expect(await memory.getTask(feature.id, 'root')).toMatchObject({ status: 'queued', version: 1 });
  });
});
