import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { z } from 'zod';
import {
  ModelError,
  toolUsePartSchema,
  type ChatMessage,
  type ChatRequest,
  type ChatResponse,
  type ModelProvider,
  type StopReason,
  type TextPart,
  type ToolUsePart,
} from '../../ports/model-provider.js';
import { modelErrorFromHttp } from './http-model-errors.js';

export interface AnthropicProviderOptions {
  /** e.g. `claude-sonnet-4-5`. */
  readonly model: string;
  readonly apiKey: string;
  /** Another endpoint that speaks the Messages API (a proxy, a test server); default Anthropic's. */
  readonly baseUrl?: string | undefined;
  /** One attempt's limit; the retrying decorator decides about the next. Default 10 minutes, as the SDK's. */
  readonly timeoutMs?: number | undefined;
}

/** The part of a Messages API response we use; other block types (thinking, server tools) are skipped. */
const responseSchema = z.object({
  model: z.string(),
  content: z.array(z.looseObject({ type: z.string() })),
  stop_reason: z.string().nullable(),
  usage: z.object({
    input_tokens: z.number().int().min(0),
    output_tokens: z.number().int().min(0),
    cache_creation_input_tokens: z.number().int().min(0).nullish(),
    cache_read_input_tokens: z.number().int().min(0).nullish(),
  }),
});
const textBlockSchema = z.object({ type: z.literal('text'), text: z.string() });
const toolUseBlockSchema = z.object({ type: z.literal('tool_use'), id: z.string().min(1), name: z.string().min(1), input: z.record(z.string(), z.unknown()) });

const stopReasons: Readonly<Record<string, StopReason>> = {
  end_turn: 'end_turn',
  stop_sequence: 'end_turn',
  refusal: 'end_turn',
  pause_turn: 'end_turn',
  tool_use: 'tool_use',
  max_tokens: 'max_tokens',
  model_context_window_exceeded: 'max_tokens',
};

/** ModelProvider on Anthropic's Messages API. */
export function createAnthropicProvider(options: AnthropicProviderOptions): ModelProvider {
  const client = new Anthropic({
    apiKey: options.apiKey,
    // null, not undefined: undefined would make the SDK read ANTHROPIC_BASE_URL from process.env behind our back.
    baseURL: options.baseUrl ?? null,
    // We retry ourselves (retrying-provider.ts), with the budget and the task's deadline in view.
    maxRetries: 0,
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
  });
  return {
    id: `anthropic:${options.model}`,
    async chat(request: ChatRequest): Promise<ChatResponse> {
      let raw: unknown;
      try {
        raw = await client.messages.create(toWire(options.model, request), { signal: request.signal ?? null });
      } catch (error) {
        throw toModelError(error, request.signal);
      }
      return fromWire(raw);
    },
  };
}

function toWire(model: string, request: ChatRequest): Anthropic.MessageCreateParamsNonStreaming {
  return {
    model,
    max_tokens: request.maxOutputTokens,
    ...(request.system === '' ? {} : { system: request.system }),
    messages: request.messages.map(messageToWire),
    ...(request.tools.length === 0
      ? {}
      : {
          tools: request.tools.map((tool) => ({
            name: tool.name,
            description: tool.description,
            input_schema: { ...tool.inputSchema, type: 'object' as const },
          })),
        }),
  };
}

function messageToWire(message: ChatMessage): Anthropic.MessageParam {
  if (message.role === 'assistant') {
    return {
      role: 'assistant',
      content: message.content.map((part) =>
        part.type === 'text' ? { type: 'text' as const, text: part.text } : { type: 'tool_use' as const, id: part.id, name: part.name, input: part.input },
      ),
    };
  }
  return {
    role: 'user',
    content: message.content.map((part) =>
      part.type === 'text'
        ? { type: 'text' as const, text: part.text }
        : { type: 'tool_result' as const, tool_use_id: part.toolUseId, content: part.content, ...(part.isError ? { is_error: true } : {}) },
    ),
  };
}

function fromWire(raw: unknown): ChatResponse {
  const parsed = responseSchema.safeParse(raw);
  if (!parsed.success) throw new ModelError('server', `anthropic: unexpected response: ${z.prettifyError(parsed.error)}`);
  const response = parsed.data;
  const content: Array<TextPart | ToolUsePart> = [];
  for (const block of response.content) {
    if (block.type === 'text') {
      content.push({ type: 'text', text: textBlockSchema.parse(block).text });
    } else if (block.type === 'tool_use') {
      const call = toolUseBlockSchema.safeParse(block);
      if (!call.success) throw new ModelError('server', `anthropic: malformed tool_use block: ${z.prettifyError(call.error)}`);
      content.push(toolUsePartSchema.parse({ type: 'tool_use', id: call.data.id, name: call.data.name, input: call.data.input }));
    }
  }
  const { usage } = response;
  return {
    content,
    stopReason: stopReasons[response.stop_reason ?? ''] ?? (content.some((part) => part.type === 'tool_use') ? 'tool_use' : 'end_turn'),
    usage: {
      // Cached input is still input: counting it keeps budgets on the safe side.
      inputTokens: usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
      outputTokens: usage.output_tokens,
    },
    model: response.model,
  };
}

function toModelError(error: unknown, signal: AbortSignal | undefined): unknown {
  // A cancelled task is not a model failure: pass the caller's reason through untouched.
  if (signal?.aborted) return signal.reason;
  if (error instanceof ModelError) return error;
  if (error instanceof APIConnectionTimeoutError) return new ModelError('timeout', `anthropic: ${error.message}`, undefined, { cause: error });
  if (error instanceof APIConnectionError) return new ModelError('server', `anthropic: ${error.message}`, undefined, { cause: error });
  if (error instanceof APIError && typeof error.status === 'number') {
    return modelErrorFromHttp(
      'anthropic',
      { status: error.status, headers: error.headers, type: error.type, code: error.errorCode, message: error.apiMessage ?? error.message },
      error,
    );
  }
  return error;
}
