import { z } from 'zod';

/**
 * The model behind an agent: one chat turn with tool use. Adapters (bedrock,
 * anthropic, openai, scripted) translate this shape to and from their wire
 * format; the agent loop only ever sees this one.
 */
export interface ModelProvider {
  /** `<provider>:<model>` as configured, e.g. `openai:gpt-4.1-mini` or `scripted:examples/sessions/t1.jsonl`. */
  readonly id: string;
  chat(request: ChatRequest): Promise<ChatResponse>;
}

/** Which agent is asking: picks the per-role model override and labels usage. */
export const agentRoles = ['planner', 'code', 'test', 'review', 'conflict'] as const;
export const agentRoleSchema = z.enum(agentRoles);
export type AgentRole = z.infer<typeof agentRoleSchema>;

export const textPartSchema = z.strictObject({ type: z.literal('text'), text: z.string() });
export const toolUsePartSchema = z.strictObject({
  type: z.literal('tool_use'),
  /** Provider-assigned id that the matching tool_result names. */
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
});
export const toolResultPartSchema = z.strictObject({
  type: z.literal('tool_result'),
  toolUseId: z.string().min(1),
  content: z.string(),
  isError: z.boolean().optional(),
});
export type TextPart = z.infer<typeof textPartSchema>;
export type ToolUsePart = z.infer<typeof toolUsePartSchema>;
export type ToolResultPart = z.infer<typeof toolResultPartSchema>;

/** The user side carries the task and tool results; the assistant side text and tool calls. */
export const chatMessageSchema = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('user'), content: z.array(z.union([textPartSchema, toolResultPartSchema])).min(1) }),
  z.strictObject({ role: z.literal('assistant'), content: z.array(z.union([textPartSchema, toolUsePartSchema])).min(1) }),
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  /** JSON Schema (draft 2020-12 subset: object, properties, required, type, description, enum, items). */
  readonly inputSchema: Readonly<Record<string, unknown>>;
}

export interface ChatRequest {
  readonly role: AgentRole;
  readonly system: string;
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ToolSpec[];
  readonly maxOutputTokens: number;
  readonly signal?: AbortSignal;
}

export const usageSchema = z.strictObject({
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
});
export type Usage = z.infer<typeof usageSchema>;

export const stopReasons = ['end_turn', 'tool_use', 'max_tokens'] as const;
export type StopReason = (typeof stopReasons)[number];

export interface ChatResponse {
  readonly content: Array<TextPart | ToolUsePart>;
  readonly stopReason: StopReason;
  readonly usage: Usage;
  /** The model that answered, as the provider names it. */
  readonly model: string;
}

/**
 * Why a model call failed. `retryable` ones (rate limit, overload, 5xx, timeout)
 * are retried with backoff by the adapter, honouring `retryAfterMs`; the others
 * (auth, spend limit, bad request, a divergent scripted session) end the task.
 */
export const modelErrorKinds = ['rate_limited', 'overloaded', 'server', 'timeout', 'auth', 'spend_limit', 'bad_request', 'divergence', 'budget_exhausted'] as const;
export type ModelErrorKind = (typeof modelErrorKinds)[number];

export class ModelError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly retryAfterMs?: number,
    /** Keeps the SDK's or the ledger's error as `cause`, for the logs. */
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ModelError';
    this.retryable = kind === 'rate_limited' || kind === 'overloaded' || kind === 'server' || kind === 'timeout';
  }
}
