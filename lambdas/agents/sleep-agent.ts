import type { Agent, AgentContext, AgentOutcome } from '../ports/agent.js';
import { AgentError } from '../ports/agent.js';
import type { Task } from '../core/task.js';

/**
 * The built-in `sleep` agent (tests and the scheduling benchmark only): waits
 * the task's `sleep.seconds`, heartbeating as it goes, then ends as the task says.
 */
export function createSleepAgent(options: { heartbeatEveryMs: number }): Agent {
  return {
    async run(task: Task, context: AgentContext): Promise<AgentOutcome> {
      const spec = task.sleep;
      if (!spec) throw new AgentError(`task ${task.id} has no sleep spec`, false);
      if (spec.outcome === 'hang') {
        // Stuck: no progress and no heartbeat, until the worker gives up on it.
        await abortable(Number.POSITIVE_INFINITY, context.signal);
      }
      const end = Date.now() + spec.seconds * 1000;
      for (let left = end - Date.now(); left > 0; left = end - Date.now()) {
        await abortable(Math.min(left, options.heartbeatEveryMs), context.signal);
        if (end - Date.now() > 0) await context.heartbeat();
      }
      if (spec.outcome === 'fail') throw new AgentError(`task ${task.id} failed as its sleep spec says`, false);
      if (spec.outcome === 'fail-transient') throw new AgentError(`task ${task.id} failed transiently (attempt ${task.attempts})`, true);
      if (spec.outcome === 'fail-once' && task.attempts <= 1) throw new AgentError(`task ${task.id} failed transiently (attempt ${task.attempts})`, true);
      return { summary: `slept ${spec.seconds}s` };
    },
  };
}

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    function done() {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Until the model-driven agents land, only tasks with a sleep spec have an agent. */
export function createDefaultAgentSelector(options: { heartbeatEveryMs: number }) {
  const sleep = createSleepAgent(options);
  return (task: Task): Agent => {
    if (task.sleep) return sleep;
    throw new AgentError(`no ${task.agentType} agent is installed yet: only tasks with a sleep spec can run`, false);
  };
}
