import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ContentBlock,
  type ConverseCommandInput,
  type Message,
  type ToolInputSchema,
  type ToolUseBlock,
} from '@aws-sdk/client-bedrock-runtime';
import { z } from 'zod';
import {
  ModelError,
  type ChatMessage,
  type ChatRequest,
  type ChatResponse,
  type ModelErrorKind,
  type ModelProvider,
  type StopReason,
  type TextPart,
  type ToolUsePart,
} from '../../ports/model-provider.js';

export interface BedrockProviderOptions {
  /** A model id or inference profile, e.g. `global.anthropic.claude-sonnet-4-5-20250929-v1:0`. */
  readonly modelId: string;
  /** Injected so tests can mock it; make it with `createBedrockClient` to turn the SDK's retries off. */
  readonly client: BedrockRuntimeClient;
}

/** A client for the adapter: one attempt per call, since the retrying decorator owns backoff. */
export function createBedrockClient(options: { region?: string | undefined } = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ ...(options.region ? { region: options.region } : {}), maxAttempts: 1 });
}

/** The part of a Converse response we use; reasoning and other block kinds are skipped. */
const responseSchema = z.object({
  output: z.object({
    message: z.object({
      content: z.array(
        z.looseObject({
          text: z.string().optional(),
          toolUse: z.object({ toolUseId: z.string().min(1), name: z.string().min(1), input: z.record(z.string(), z.unknown()) }).optional(),
        }),
      ),
    }),
  }),
  stopReason: z.string(),
  usage: z.object({
    inputTokens: z.number().int().min(0),
    outputTokens: z.number().int().min(0),
    cacheReadInputTokens: z.number().int().min(0).optional(),
    cacheWriteInputTokens: z.number().int().min(0).optional(),
  }),
});

const stopReasons: Readonly<Record<string, StopReason>> = {
  end_turn: 'end_turn',
  stop_sequence: 'end_turn',
  content_filtered: 'end_turn',
  guardrail_intervened: 'end_turn',
  tool_use: 'tool_use',
  max_tokens: 'max_tokens',
  model_context_window_exceeded: 'max_tokens',
};

/** Bedrock's own "the model garbled its answer" stops: a fresh sample usually succeeds, so they are retryable. */
const malformedStops = new Set(['malformed_model_output', 'malformed_tool_use']);

/** Exception names of the Bedrock Runtime and of AWS auth, mapped to our kinds. */
const errorKinds: Readonly<Record<string, ModelErrorKind>> = {
  ThrottlingException: 'rate_limited',
  // Bedrock's advice for an exceeded quota is to resubmit later: a rate limit, not a spend limit.
  ServiceQuotaExceededException: 'rate_limited',
  ServiceUnavailableException: 'overloaded',
  ModelNotReadyException: 'overloaded',
  InternalServerException: 'server',
  ModelErrorException: 'server',
  ModelTimeoutException: 'timeout',
  TimeoutError: 'timeout',
  RequestTimeout: 'timeout',
  AccessDeniedException: 'auth',
  UnrecognizedClientException: 'auth',
  ExpiredTokenException: 'auth',
  InvalidSignatureException: 'auth',
  CredentialsProviderError: 'auth',
  ValidationException: 'bad_request',
  ResourceNotFoundException: 'bad_request',
  ConflictException: 'bad_request',
};

/** ModelProvider on the Bedrock Runtime Converse API, with tools. */
export function createBedrockProvider(options: BedrockProviderOptions): ModelProvider {
  return {
    id: `bedrock:${options.modelId}`,
    async chat(request: ChatRequest): Promise<ChatResponse> {
      let raw: unknown;
      try {
        raw = await options.client.send(new ConverseCommand(toWire(options.modelId, request)), request.signal ? { abortSignal: request.signal } : {});
      } catch (error) {
        throw toModelError(error, request.signal);
      }
      return fromWire(raw, options.modelId);
    },
  };
}

function toWire(modelId: string, request: ChatRequest): ConverseCommandInput {
  return {
    modelId,
    ...(request.system === '' ? {} : { system: [{ text: request.system }] }),
    messages: request.messages.map(messageToWire),
    inferenceConfig: { maxTokens: request.maxOutputTokens },
    ...(request.tools.length === 0
      ? {}
      : {
          toolConfig: {
            tools: request.tools.map((tool) => ({
              toolSpec: { name: tool.name, description: tool.description, inputSchema: { json: asDocument(tool.inputSchema) } satisfies ToolInputSchema },
            })),
          },
        }),
  };
}

function messageToWire(message: ChatMessage): Message {
  const content: ContentBlock[] = message.content.map((part): ContentBlock => {
    switch (part.type) {
      case 'text':
        return { text: part.text };
      case 'tool_use':
        return { toolUse: { toolUseId: part.id, name: part.name, input: asDocument(part.input) } };
      case 'tool_result':
        return {
          toolResult: {
            toolUseId: part.toolUseId,
            // Converse rejects a blank text block, and a tool may well print nothing.
            content: [{ text: part.content === '' ? '(no output)' : part.content }],
            status: part.isError ? 'error' : 'success',
          },
        };
    }
  });
  return { role: message.role, content };
}

/** Smithy's JSON document type, as the client names it. */
type DocumentType = NonNullable<ToolUseBlock['input']>;

/** Our JSON values are Smithy documents already; this only tells the compiler so. */
function asDocument(value: Readonly<Record<string, unknown>>): DocumentType {
  return value as DocumentType;
}

function fromWire(raw: unknown, modelId: string): ChatResponse {
  const parsed = responseSchema.safeParse(raw);
  if (!parsed.success) throw new ModelError('server', `bedrock: unexpected response: ${z.prettifyError(parsed.error)}`);
  const response = parsed.data;
  if (malformedStops.has(response.stopReason)) throw new ModelError('server', `bedrock: the model's answer was malformed (${response.stopReason})`);
  const content: Array<TextPart | ToolUsePart> = [];
  for (const block of response.output.message.content) {
    if (block.text !== undefined) content.push({ type: 'text', text: block.text });
    else if (block.toolUse) content.push({ type: 'tool_use', id: block.toolUse.toolUseId, name: block.toolUse.name, input: block.toolUse.input });
  }
  const { usage } = response;
  return {
    content,
    stopReason: stopReasons[response.stopReason] ?? (content.some((part) => part.type === 'tool_use') ? 'tool_use' : 'end_turn'),
    usage: {
      // Cached input is still input: counting it keeps budgets on the safe side.
      inputTokens: usage.inputTokens + (usage.cacheReadInputTokens ?? 0) + (usage.cacheWriteInputTokens ?? 0),
      outputTokens: usage.outputTokens,
    },
    // Converse does not echo the model; the id we called is the most precise name we have.
    model: modelId,
  };
}

const awsErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  $metadata: z.object({ httpStatusCode: z.number().optional() }).optional(),
  /** Node's network error code (ECONNRESET, ENOTFOUND) when no HTTP answer came. */
  code: z.string().optional(),
});

function toModelError(error: unknown, signal: AbortSignal | undefined): unknown {
  // A cancelled task is not a model failure: pass the caller's reason through untouched.
  if (signal?.aborted) return signal.reason;
  if (error instanceof ModelError) return error;
  const parsed = awsErrorSchema.safeParse(error);
  if (!parsed.success) return error;
  const { name, message: text, $metadata, code } = parsed.data;
  const message = `bedrock: ${name}: ${text}`;
  const kind = errorKinds[name] ?? kindFromStatus($metadata?.httpStatusCode);
  if (kind) return new ModelError(kind, message, undefined, { cause: error });
  // No HTTP answer at all (connection reset, DNS): the network's fault, worth another try.
  if ($metadata?.httpStatusCode === undefined && code !== undefined) return new ModelError('server', message, undefined, { cause: error });
  return error;
}

function kindFromStatus(status: number | undefined): ModelErrorKind | undefined {
  if (status === undefined) return undefined;
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'server';
  if (status >= 400) return 'bad_request';
  return undefined;
}
