import type { TaskState } from '../core/task.js';
import type { FeatureStore } from '../ports/feature-store.js';

/** Features followed per store; the least recently read one is dropped past this. */
const MAX_FEATURES = 100;

/**
 * The freshest state of each task a process has seen, per feature: from the scheduling views it
 * read and the releases it wrote. It only guides hand-overs (which task should take a finishing
 * task's agent slot); a hand-over is a write conditioned on the task's version, so a stale entry
 * costs a hand-over, never a double release. Versions only grow, so of two states of a task the
 * higher version is the newer; a read is trusted over a note of the same version.
 */
export class KnownTaskStates {
  private readonly features = new Map<string, Map<string, TaskState>>();

  /** A scheduling view just read. The first one fixes the order: the view's topological order, which priorities need. */
  noteRead(featureId: string, tasks: readonly TaskState[]): void {
    let known = this.features.get(featureId);
    if (known) {
      this.features.delete(featureId); // re-inserted below: most recently read last
    } else {
      known = new Map();
      const oldest = this.features.keys().next();
      if (this.features.size >= MAX_FEATURES && !oldest.done) this.features.delete(oldest.value);
    }
    this.features.set(featureId, known);
    for (const task of tasks) {
      const seen = known.get(task.id);
      if (seen === undefined || task.version >= seen.version) known.set(task.id, task);
    }
  }

  /** A release this process wrote (or is about to): the task is queued at the next version. */
  noteReleased(featureId: string, task: TaskState): void {
    const known = this.features.get(featureId);
    const seen = known?.get(task.id);
    if (!known || !seen || seen.version > task.version) return;
    const { waitToken: _spent, ...rest } = task;
    known.set(task.id, { ...rest, status: 'queued', version: task.version + 1 });
  }

  /** Every known task of the feature, in the order of the first view; undefined when the feature is not followed. */
  of(featureId: string): TaskState[] | undefined {
    const known = this.features.get(featureId);
    return known && [...known.values()];
  }

  forget(featureId: string): void {
    this.features.delete(featureId);
  }
}

const byStore = new WeakMap<FeatureStore, KnownTaskStates>();

/** The states known of `store`'s tasks in this process (a Lambda container, or the whole local runtime). */
export function knownTaskStatesOf(store: FeatureStore): KnownTaskStates {
  let known = byStore.get(store);
  if (!known) byStore.set(store, (known = new KnownTaskStates()));
  return known;
}
