import { randomUUID } from 'node:crypto';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { z } from 'zod';
import {
  ModelError,
  type ChatMessage,
  type ChatRequest,
  type ChatResponse,
  type ModelProvider,
  type StopReason,
  type TextPart,
  type ToolUsePart,
} from '../../ports/model-provider.js';
import { modelErrorFromHttp } from './http-model-errors.js';

type WireMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type WireRequest = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;

export interface OpenAiProviderOptions {
  /** e.g. `gpt-4.1-mini`, or a local server's name such as `qwen2.5-coder:32b`. */
  readonly model: string;
  /** Optional: local servers (Ollama, vLLM, LM Studio) usually need none. */
  readonly apiKey?: string | undefined;
  /** Any OpenAI-compatible server, e.g. `http://127.0.0.1:11434/v1` for Ollama; default OpenAI's. */
  readonly baseUrl?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

const OPENAI_API = 'https://api.openai.com/v1';

/** The part of a Chat Completions response we use. Compatible servers differ in what they leave out, so most is optional. */
const responseSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        finish_reason: z.string().nullish(),
        message: z.object({
          content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                id: z.string().nullish(),
                function: z.object({
                  name: z.string().min(1),
                  // Some servers send the arguments as an object rather than a JSON string.
                  arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
                }),
              }),
            )
            .nullish(),
        }),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) }).nullish(),
});

/** The `error` object of an error response; the SDK's own message prefixes the status, which we add ourselves. */
const errorBodySchema = z.object({ message: z.string() });

const stopReasons: Readonly<Record<string, StopReason>> = {
  stop: 'end_turn',
  content_filter: 'end_turn',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  length: 'max_tokens',
};

/** ModelProvider on the Chat Completions API: OpenAI itself or any server that speaks it. */
export function createOpenAiProvider(options: OpenAiProviderOptions): ModelProvider {
  const baseUrl = options.baseUrl ?? OPENAI_API;
  const client = new OpenAI({
    // The SDK refuses to start without a key; local servers ignore the header, so a placeholder is harmless there.
    apiKey: options.apiKey ?? 'not-needed',
    baseURL: baseUrl,
    // null keeps the SDK from reading OPENAI_ORG_ID / OPENAI_PROJECT_ID from process.env behind our back.
    organization: null,
    project: null,
    // We retry ourselves (retrying-provider.ts), with the budget and the task's deadline in view.
    maxRetries: 0,
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
  });
  // OpenAI's reasoning models reject `max_tokens`; many compatible servers predate `max_completion_tokens`.
  const tokenLimitField = new URL(baseUrl).hostname === 'api.openai.com' ? 'max_completion_tokens' : 'max_tokens';
  return {
    id: `openai:${options.model}`,
    async chat(request: ChatRequest): Promise<ChatResponse> {
      let raw: unknown;
      try {
        raw = await client.chat.completions.create(toWire(options.model, request, tokenLimitField), { signal: request.signal ?? null });
      } catch (error) {
        throw toModelError(error, request.signal);
      }
      return fromWire(raw, options.model);
    },
  };
}

function toWire(model: string, request: ChatRequest, tokenLimitField: 'max_tokens' | 'max_completion_tokens'): WireRequest {
  const messages: WireMessage[] = request.system === '' ? [] : [{ role: 'system', content: request.system }];
  for (const message of request.messages) messages.push(...messageToWire(message));
  return {
    model,
    messages,
    [tokenLimitField]: request.maxOutputTokens,
    ...(request.tools.length === 0
      ? {}
      : {
          tools: request.tools.map((tool) => ({
            type: 'function' as const,
            function: { name: tool.name, description: tool.description, parameters: { ...tool.inputSchema } },
          })),
        }),
  };
}

/**
 * Our user turn can carry tool results and text together; Chat Completions
 * wants each result as its own `tool` message straight after the assistant's
 * calls, so the results go first and the text follows as a user message.
 */
function messageToWire(message: ChatMessage): WireMessage[] {
  if (message.role === 'assistant') {
    const text = message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
    const calls = message.content.flatMap((part) =>
      part.type === 'tool_use' ? [{ id: part.id, type: 'function' as const, function: { name: part.name, arguments: JSON.stringify(part.input) } }] : [],
    );
    return [{ role: 'assistant', content: text === '' ? null : text, ...(calls.length === 0 ? {} : { tool_calls: calls }) }];
  }
  const wire: WireMessage[] = [];
  for (const part of message.content) {
    if (part.type === 'tool_result') {
      // The API has no error flag on tool messages; the prefix tells the model the call failed.
      wire.push({ role: 'tool', tool_call_id: part.toolUseId, content: part.isError ? `ERROR: ${part.content}` : part.content });
    }
  }
  const text = message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
  if (text !== '') wire.push({ role: 'user', content: text });
  return wire;
}

function fromWire(raw: unknown, requestedModel: string): ChatResponse {
  const parsed = responseSchema.safeParse(raw);
  if (!parsed.success) throw new ModelError('server', `openai: unexpected response: ${z.prettifyError(parsed.error)}`);
  const response = parsed.data;
  const choice = response.choices[0]!;
  const content: Array<TextPart | ToolUsePart> = [];
  if (choice.message.content) content.push({ type: 'text', text: choice.message.content });
  for (const call of choice.message.tool_calls ?? []) {
    content.push({
      type: 'tool_use',
      // Some compatible servers leave the id out; the agent loop needs one to pair the result with the call.
      id: call.id || `call_${randomUUID()}`,
      name: call.function.name,
      input: toolInput(call.function.name, call.function.arguments),
    });
  }
  const calledTools = content.some((part) => part.type === 'tool_use');
  return {
    content,
    // Ollama reports `stop` even when the turn is tool calls; the calls are what the loop must act on.
    stopReason: calledTools ? 'tool_use' : (stopReasons[choice.finish_reason ?? ''] ?? 'end_turn'),
    usage: { inputTokens: response.usage?.prompt_tokens ?? 0, outputTokens: response.usage?.completion_tokens ?? 0 },
    model: response.model ?? requestedModel,
  };
}

/**
 * Arguments that are not a JSON object are a sampling accident of the model,
 * not a fault of our request: reported as `server` so the call is retried.
 */
function toolInput(name: string, argumentsValue: string | Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (argumentsValue === null || argumentsValue === undefined || argumentsValue === '') return {};
  if (typeof argumentsValue !== 'string') return argumentsValue;
  let parsed: unknown;
  try {
    parsed = JSON.parse(argumentsValue);
  } catch {
    throw new ModelError('server', `openai: arguments of the ${name} tool call are not JSON`);
  }
  const object = z.record(z.string(), z.unknown()).safeParse(parsed);
  if (!object.success) throw new ModelError('server', `openai: arguments of the ${name} tool call are not a JSON object`);
  return object.data;
}

function toModelError(error: unknown, signal: AbortSignal | undefined): unknown {
  // A cancelled task is not a model failure: pass the caller's reason through untouched.
  if (signal?.aborted) return signal.reason;
  if (error instanceof ModelError) return error;
  if (error instanceof APIConnectionTimeoutError) return new ModelError('timeout', `openai: ${error.message}`, undefined, { cause: error });
  if (error instanceof APIConnectionError) return new ModelError('server', `openai: ${error.message}`, undefined, { cause: error });
  if (error instanceof APIError && typeof error.status === 'number') {
    const body = errorBodySchema.safeParse(error.error);
    const message = body.success ? body.data.message : error.message;
    return modelErrorFromHttp('openai', { status: error.status, headers: error.headers, type: error.type, code: error.code, message }, error);
  }
  return error;
}
