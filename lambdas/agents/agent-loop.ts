import { z } from 'zod';
import { ModelError, type AgentRole, type ChatMessage, type ModelProvider, type ToolResultPart, type ToolUsePart, type Usage } from '../ports/model-provider.js';
import { AgentError } from '../ports/agent.js';
import type { TranscriptEntryInput, TranscriptSink } from '../ports/transcript-store.js';
import { AgentModelError, AgentStopError, type AgentStopReason } from './agent-errors.js';
import { findConflictMarkers } from './conflict-markers.js';
import { reminderFor, systemPromptFor, taskPromptFor } from './prompts.js';
import { repositoryMap } from './repository-map.js';
import { redactSecrets } from './secret-redaction.js';
import { executeToolCall, type ToolCallOutcome, type ToolRunContext } from './tools/agent-tool.js';
import { FINISH_TOOL, finishSchemaFor, finishSpecFor, type ReviewVerdict } from './tools/finish-tool.js';
import { loadRunPolicy } from './tools/run-tool.js';
import { realWorkspaceRoot } from './tools/tool-policy.js';
import { toolsForRole } from './tools/toolbox.js';

/**
 * One agent session: the model works a task in a plain directory through the
 * tools of its role until it calls `finish` (accepted only when the role's
 * conditions hold), the step limit is reached, or it keeps repeating a failing
 * call. It never commits: the caller owns the git side.
 */

export const agentLoopLimitsSchema = z.strictObject({
  /** Model calls before the session is stopped. */
  maxSteps: z.number().int().min(1).max(1_000),
  maxOutputTokens: z.number().int().min(1).max(200_000),
  /** The same tool with the same input failing this many times stops the session (default 3). */
  maxRepeatedFailures: z.number().int().min(1).max(100).optional(),
  /** Answers in a row without any tool call before the session is stopped (default 2 reminders, then stop). */
  maxReminders: z.number().int().min(0).max(20).optional(),
});
export type AgentLoopLimits = z.infer<typeof agentLoopLimitsSchema>;

export interface AgentLoopInput {
  /** code, test, review or conflict; the planner has its own single-call flow (llm-planner.ts). */
  readonly role: AgentRole;
  readonly provider: ModelProvider;
  readonly workspaceDir: string;
  readonly feature: { readonly id: string; readonly title: string; readonly description: string };
  readonly task?: { readonly id: string; readonly title: string; readonly description: string; readonly acceptanceCriteria: readonly string[] };
  /** Extra material for the session (a gate report, a diff, the conflicted files); passed to the model as data. */
  readonly context?: string;
  /** 1-based attempt of the task; 0 for feature-level work. */
  readonly attempt: number;
  readonly limits: AgentLoopLimits;
  readonly signal: AbortSignal;
  readonly heartbeat?: () => Promise<void>;
  readonly transcript?: TranscriptSink;
  /** USD for one call's usage by `model`; absent means cost is not tracked (0). */
  readonly costOf?: (model: string, usage: Usage) => number;
  /** Review role: whether the quality gate passed. When false, `approve` is refused: a review cannot turn a failed gate into a pass. */
  readonly gatePassed?: boolean;
  /** Conflict role: the files that had markers; finish checks them (without it, the whole tree). */
  readonly conflictedFiles?: readonly string[];
  /** The `run` tool's timeout and base environment (before scrubbing); defaults 5 minutes and process.env. */
  readonly run?: { readonly timeoutMs?: number; readonly env?: Readonly<Record<string, string | undefined>> };
}

export interface AgentLoopUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  calls: number;
}

export interface AgentLoopResult {
  readonly summary: string;
  /** Model calls made. */
  readonly steps: number;
  readonly usage: AgentLoopUsage;
  readonly verdict?: ReviewVerdict;
  /** Workspace-relative paths written through the tools, sorted. */
  readonly filesChanged: string[];
  readonly refusals: Array<{ tool: string; reason: string }>;
  /** Transcript appends that failed (they never fail the loop). */
  readonly transcriptErrors: number;
}

const DEFAULT_MAX_REPEATED_FAILURES = 3;
const DEFAULT_MAX_REMINDERS = 2;

export async function runAgentLoop(input: AgentLoopInput): Promise<AgentLoopResult> {
  const limits = agentLoopLimitsSchema.parse(input.limits);
  const attempt = z.number().int().min(0).parse(input.attempt);
  const { provider, signal } = input;
  const role = input.role;
  if (role === 'planner') throw new AgentError('the planner does not run the tool loop; use planFeatureWithModel', false);
  const maxRepeated = limits.maxRepeatedFailures ?? DEFAULT_MAX_REPEATED_FAILURES;
  const maxReminders = limits.maxReminders ?? DEFAULT_MAX_REMINDERS;

  const usage: AgentLoopUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
  const refusals: Array<{ tool: string; reason: string }> = [];
  let transcriptErrors = 0;
  const record = async (entry: Omit<TranscriptEntryInput, 'featureId' | 'taskId' | 'role' | 'attempt'>) => {
    if (!input.transcript) return;
    try {
      await input.transcript({
        featureId: input.feature.id,
        ...(input.task ? { taskId: input.task.id } : {}),
        role,
        attempt,
        ...entry,
        body: redactSecrets(entry.body),
      });
    } catch {
      // A transcript is an account of the work, not the work: losing a line must not lose the task.
      transcriptErrors++;
    }
  };
  const stop = async (reason: AgentStopReason, message: string, cause?: unknown): Promise<never> => {
    await record({ kind: 'stop', body: `${reason}: ${message}`, isError: true });
    throw new AgentStopError(reason, message, { usage: { ...usage } }, cause === undefined ? undefined : { cause });
  };

  const root = await realWorkspaceRoot(input.workspaceDir);
  const policy = await loadRunPolicy(root);
  const tools = toolsForRole(role, { policy, ...(input.run?.timeoutMs ? { timeoutMs: input.run.timeoutMs } : {}), ...(input.run?.env ? { env: input.run.env } : {}) });
  const toolSpecs = [...[...tools.values()].map((tool) => tool.spec), finishSpecFor(role)];
  const context: ToolRunContext = { root, signal, changed: new Set<string>() };

  const system = systemPromptFor(role);
  const firstPrompt = taskPromptFor({
    role,
    feature: input.feature,
    ...(input.task ? { task: input.task } : {}),
    ...(input.context !== undefined ? { context: input.context } : {}),
    attempt,
    repositoryMap: await repositoryMap(root),
    runnableScripts: tools.has('run') ? [...policy.commands.keys()] : [],
  });
  const messages: ChatMessage[] = [{ role: 'user', content: [{ type: 'text', text: firstPrompt }] }];
  await record({ kind: 'prompt', body: `${system}\n\n---\n\n${firstPrompt}` });

  const failures = new Map<string, number>();
  let reminders = 0;
  for (let step = 1; ; step++) {
    if (signal.aborted) await stop('aborted', `stopped at step ${step}: ${String(signal.reason)}`, signal.reason);
    if (step > limits.maxSteps) await stop('step_limit', `stopped after ${limits.maxSteps} steps without an accepted finish (the step limit)`);

    let response;
    try {
      response = await provider.chat({ role, system, messages, tools: toolSpecs, maxOutputTokens: limits.maxOutputTokens, signal });
    } catch (error) {
      if (signal.aborted) await stop('aborted', `stopped at step ${step}: ${String(signal.reason)}`, signal.reason);
      if (error instanceof ModelError) {
        await record({ kind: 'stop', body: `model_error (${error.kind}): ${error.message}`, isError: true });
        throw new AgentModelError(error, { usage: { ...usage } });
      }
      throw error;
    }

    const cost = input.costOf?.(response.model, response.usage) ?? 0;
    usage.calls++;
    usage.inputTokens += response.usage.inputTokens;
    usage.outputTokens += response.usage.outputTokens;
    usage.costUsd = Math.round((usage.costUsd + cost) * 1e6) / 1e6;
    const text = response.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
    if (text.trim() !== '') await record({ kind: 'assistant', body: text });
    await record({
      kind: 'usage',
      body: `${response.model}: ${response.usage.inputTokens} in, ${response.usage.outputTokens} out (${response.stopReason})`,
      usage: { ...response.usage, costUsd: cost },
    });
    messages.push({ role: 'assistant', content: response.content.length > 0 ? response.content : [{ type: 'text', text: '(no answer)' }] });

    const calls = response.content.filter((part): part is ToolUsePart => part.type === 'tool_use');
    if (calls.length === 0) {
      reminders++;
      if (reminders > maxReminders) {
        await stop('no_finish', `the model answered ${reminders} times in a row without calling a tool or finish`);
      }
      const reminder = reminderFor(role, response.stopReason === 'max_tokens');
      messages.push({ role: 'user', content: [{ type: 'text', text: reminder }] });
      await record({ kind: 'prompt', body: reminder });
      await input.heartbeat?.();
      continue;
    }
    reminders = 0;

    const results: ToolResultPart[] = [];
    let finished: { summary: string; verdict?: ReviewVerdict } | undefined;
    let repeated: { tool: string; count: number; answer: string } | undefined;
    for (const call of calls) {
      await record({ kind: 'tool_call', tool: call.name, body: JSON.stringify(call.input) });
      let outcome: ToolCallOutcome;
      if (finished) {
        outcome = { content: 'error: ignored, because finish was accepted earlier in this turn', isError: true };
      } else if (call.name === FINISH_TOOL) {
        const checked = await checkFinish(input, root, call.input);
        outcome = checked.outcome;
        finished = checked.accepted;
      } else {
        outcome = await executeToolCall(tools, call, context);
      }
      if (outcome.refusal !== undefined) {
        refusals.push({ tool: call.name, reason: outcome.refusal });
        await record({ kind: 'refusal', tool: call.name, body: `${outcome.refusal}\ninput: ${JSON.stringify(call.input)}`, isError: true });
      }
      await record({ kind: 'tool_result', tool: call.name, body: outcome.content, isError: outcome.isError });
      results.push({ type: 'tool_result', toolUseId: call.id, content: outcome.content, ...(outcome.isError ? { isError: true } : {}) });
      if (outcome.isError) {
        const key = `${call.name}\u0000${stableJson(call.input)}`;
        const count = (failures.get(key) ?? 0) + 1;
        failures.set(key, count);
        if (count >= maxRepeated && !repeated) repeated = { tool: call.name, count, answer: outcome.content };
      }
    }
    messages.push({ role: 'user', content: results });

    if (finished) {
      await record({ kind: 'stop', body: `finished: ${finished.summary}${finished.verdict ? `\nverdict: ${finished.verdict.decision}` : ''}` });
      await input.heartbeat?.();
      return {
        summary: finished.summary,
        steps: step,
        usage: { ...usage },
        ...(finished.verdict ? { verdict: finished.verdict } : {}),
        filesChanged: [...context.changed].sort(),
        refusals,
        transcriptErrors,
      };
    }
    if (repeated) {
      await stop(
        'repeated_failure',
        `the model made the same failing ${repeated.tool} call ${repeated.count} times; the last answer was: ${repeated.answer.slice(0, 300)}`,
      );
    }
    await input.heartbeat?.();
  }
}

/** Whether a finish call may end the session; a rejected one goes back to the model like any failed call. */
async function checkFinish(
  input: AgentLoopInput,
  root: string,
  raw: unknown,
): Promise<{ outcome: ToolCallOutcome; accepted?: { summary: string; verdict?: ReviewVerdict } }> {
  const parsed = finishSchemaFor(input.role).safeParse(raw);
  if (!parsed.success) return { outcome: { content: `error: invalid input for finish: ${z.prettifyError(parsed.error)}`, isError: true } };
  const { summary, verdict } = parsed.data;
  if (input.role === 'review' && input.gatePassed === false && verdict?.decision === 'approve') {
    const reason = 'the quality gate failed, and a review cannot turn a failed gate into a pass: finish with request_changes';
    return { outcome: { content: `refused: ${reason}`, isError: true, refusal: reason } };
  }
  if (input.role === 'conflict') {
    const left = await findConflictMarkers(root, input.conflictedFiles);
    if (left.length > 0) {
      const shown = left.slice(0, 20).join(', ') + (left.length > 20 ? `, … (${left.length} in all)` : '');
      return { outcome: { content: `error: finish not accepted: conflict markers remain at ${shown}; resolve them first`, isError: true } };
    }
  }
  return { outcome: { content: 'finished', isError: false }, accepted: { summary, ...(verdict ? { verdict } : {}) } };
}

/** JSON with sorted keys, so the same call written twice is recognised as the same. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
