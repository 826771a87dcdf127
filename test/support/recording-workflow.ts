import type { ExecutionDescription, Workflow } from '../../lambdas/ports/workflow.js';

/**
 * A Workflow that records what it is asked to do, for tests of the HTTP layer.
 * The real engines are tested on their own (local engine: test/integration/orchestration.test.ts).
 */
export class RecordingWorkflow implements Workflow {
  readonly started: { name: string; input: Record<string, unknown> }[] = [];
  readonly stopped: string[] = [];

  async startExecution(name: string, input: Record<string, unknown>) {
    const alreadyStarted = this.started.some((execution) => execution.name === name);
    if (!alreadyStarted) this.started.push({ name, input });
    return { name, alreadyStarted };
  }
  async describeExecution(name: string): Promise<ExecutionDescription | undefined> {
    if (!this.started.some((execution) => execution.name === name)) return undefined;
    return { name, status: this.stopped.includes(name) ? 'ABORTED' : 'RUNNING' };
  }
  async stopExecution(name: string) {
    this.stopped.push(name);
  }
  async sendTaskSuccess() {
    return false;
  }
  async sendTaskFailure() {
    return false;
  }
  async sendTaskHeartbeat() {
    return false;
  }
}
