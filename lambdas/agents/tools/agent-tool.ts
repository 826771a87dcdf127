import { z } from 'zod';
import type { ToolSpec, ToolUsePart } from '../../ports/model-provider.js';
import { ToolFailure, ToolRefusal } from './tool-policy.js';

export interface ToolRunContext {
  /** Real absolute path of the workspace root. */
  readonly root: string;
  readonly signal: AbortSignal;
  /** Workspace-relative paths written so far; write tools add to it. */
  readonly changed: Set<string>;
}

/** What a tool answers; `isError` for an in-policy failure the model should see and fix. */
export interface ToolAnswer {
  readonly content: string;
  readonly isError?: boolean;
}

export interface AgentTool {
  readonly spec: ToolSpec;
  /** Validates `input` and runs. Throws ToolRefusal (out of policy) or ToolFailure (did not work). */
  run(input: unknown, context: ToolRunContext): Promise<ToolAnswer>;
}

/** A tool whose input is parsed by `schema` first; a bad input is a ToolFailure naming the fields. */
export function defineTool<Schema extends z.ZodType>(
  spec: ToolSpec,
  schema: Schema,
  run: (input: z.output<Schema>, context: ToolRunContext) => Promise<ToolAnswer>,
): AgentTool {
  return {
    spec,
    async run(input, context) {
      const parsed = schema.safeParse(input);
      if (!parsed.success) throw new ToolFailure(`invalid input for ${spec.name}: ${z.prettifyError(parsed.error)}`);
      return run(parsed.data, context);
    },
  };
}

/** The outcome of one tool call as the loop records it. */
export interface ToolCallOutcome {
  readonly content: string;
  readonly isError: boolean;
  /** Set when the call was out of policy. */
  readonly refusal?: string;
}

/**
 * Runs one tool call and never throws for anything the model did: refusals and
 * failures come back as error results, so the model can correct itself. Only
 * an abort propagates.
 */
export async function executeToolCall(tools: ReadonlyMap<string, AgentTool>, call: ToolUsePart, context: ToolRunContext): Promise<ToolCallOutcome> {
  const tool = tools.get(call.name);
  if (!tool) {
    const reason = `there is no tool named ${JSON.stringify(call.name)} for this role; available: ${[...tools.keys()].join(', ')}`;
    return { content: `refused: ${reason}`, isError: true, refusal: reason };
  }
  try {
    const answer = await tool.run(call.input, context);
    return { content: answer.content, isError: answer.isError ?? false };
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    if (error instanceof ToolRefusal) return { content: `refused: ${error.reason}`, isError: true, refusal: error.reason };
    if (error instanceof ToolFailure) return { content: `error: ${error.message}`, isError: true };
    // A file system error (EISDIR, EACCES, …) is the model's to handle, not a crash of the task.
    const code = (error as NodeJS.ErrnoException).code;
    const message = error instanceof Error ? error.message : String(error);
    return { content: `error: ${code ? `${code}: ` : ''}${message}`, isError: true };
  }
}
