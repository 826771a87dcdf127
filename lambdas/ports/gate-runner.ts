import type { TaskGate } from '../core/task.js';

/**
 * Runs the quality gates of a working copy at `head` against `base`. The
 * verdict comes from the gate processes and thresholds only: nothing an agent
 * writes in the repository or says in a prompt can turn a failed gate into a
 * pass (the repository's config may set thresholds, within the factory's floor).
 */
export interface GateRunner {
  run(input: { repoDir: string; base: string; head: string; signal?: AbortSignal }): Promise<Omit<TaskGate, 'fixAttempts'>>;
}
