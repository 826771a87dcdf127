import {
  AccessDeniedException,
  BedrockRuntimeClient,
  ConverseCommand,
  InternalServerException,
  ModelTimeoutException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createBedrockProvider } from '../../lambdas/adapters/models/bedrock-provider.js';
import { createRetryingProvider } from '../../lambdas/adapters/models/retrying-provider.js';
import { ModelError, type ChatRequest } from '../../lambdas/ports/model-provider.js';

const bedrock = mockClient(BedrockRuntimeClient);
afterEach(() => bedrock.reset());

const modelId = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const provider = () => createBedrockProvider({ modelId, client: new BedrockRuntimeClient({ region: 'us-east-1' }) });
const $metadata = { httpStatusCode: 400, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 };

const request: ChatRequest = {
  role: 'test',
  system: 'You are the test agent.',
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Test the health endpoint.' }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'tooluse_1', name: 'run_tests', input: { filter: 'health' } }] },
    {
      role: 'user',
      content: [
        { type: 'tool_result', toolUseId: 'tooluse_1', content: '', isError: true },
        { type: 'text', text: '2 steps left.' },
      ],
    },
  ],
  tools: [{ name: 'run_tests', description: 'Run the test suite', inputSchema: { type: 'object', properties: { filter: { type: 'string' } } } }],
  maxOutputTokens: 1024,
};

/** A Converse answer as the service sends it (Smithy-deserialized). */
const toolUseOutput = {
  $metadata: { httpStatusCode: 200 },
  output: {
    message: {
      role: 'assistant' as const,
      content: [{ text: 'Rerunning with output.' }, { toolUse: { toolUseId: 'tooluse_2', name: 'run_tests', input: { filter: 'health', verbose: true } } }],
    },
  },
  stopReason: 'tool_use' as const,
  usage: { inputTokens: 1500, outputTokens: 60, totalTokens: 1560, cacheReadInputTokens: 100 },
  metrics: { latencyMs: 800 },
};

describe('Bedrock Converse adapter', () => {
  it('sends the Converse shape: system, messages with toolUse and toolResult blocks, toolConfig and maxTokens', async () => {
    bedrock.on(ConverseCommand).resolves(toolUseOutput);

    await provider().chat(request);

    const calls = bedrock.commandCalls(ConverseCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      modelId,
      system: [{ text: 'You are the test agent.' }],
      messages: [
        { role: 'user', content: [{ text: 'Test the health endpoint.' }] },
        { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_1', name: 'run_tests', input: { filter: 'health' } } }] },
        {
          role: 'user',
          content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: '(no output)' }], status: 'error' } }, { text: '2 steps left.' }],
        },
      ],
      inferenceConfig: { maxTokens: 1024 },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: 'run_tests',
              description: 'Run the test suite',
              inputSchema: { json: { type: 'object', properties: { filter: { type: 'string' } } } },
            },
          },
        ],
      },
    });
  });

  it('reads text, a tool call, the stop reason and usage back', async () => {
    bedrock.on(ConverseCommand).resolves(toolUseOutput);

    const response = await provider().chat(request);

    expect(response).toEqual({
      content: [
        { type: 'text', text: 'Rerunning with output.' },
        { type: 'tool_use', id: 'tooluse_2', name: 'run_tests', input: { filter: 'health', verbose: true } },
      ],
      stopReason: 'tool_use',
      usage: { inputTokens: 1600, outputTokens: 60 },
      model: modelId,
    });
  });

  it('leaves toolConfig out when the request has no tools, and maps max_tokens', async () => {
    bedrock.on(ConverseCommand).resolves({ ...toolUseOutput, output: { message: { role: 'assistant', content: [{ text: 'partial' }] } }, stopReason: 'max_tokens' });

    const response = await provider().chat({ ...request, tools: [], messages: [request.messages[0]!] });

    expect(bedrock.commandCalls(ConverseCommand)[0]!.args[0].input).not.toHaveProperty('toolConfig');
    expect(response.stopReason).toBe('max_tokens');
  });

  it.each([
    [new ThrottlingException({ message: 'Too many requests, please wait before trying again.', $metadata: { ...$metadata, httpStatusCode: 429 } }), 'rate_limited', true],
    [new ServiceUnavailableException({ message: 'Service unavailable', $metadata: { ...$metadata, httpStatusCode: 503 } }), 'overloaded', true],
    [new InternalServerException({ message: 'Internal error', $metadata: { ...$metadata, httpStatusCode: 500 } }), 'server', true],
    [new ModelTimeoutException({ message: 'Model timed out', $metadata: { ...$metadata, httpStatusCode: 408 } }), 'timeout', true],
    [new AccessDeniedException({ message: "You don't have access to the model with the specified model ID.", $metadata: { ...$metadata, httpStatusCode: 403 } }), 'auth', false],
    [new ValidationException({ message: 'The provided model identifier is invalid.', $metadata }), 'bad_request', false],
  ])('maps %s to %s', async (exception, kind, retryable) => {
    bedrock.on(ConverseCommand).rejects(exception);

    const error = await provider().chat(request).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ kind, retryable, message: `bedrock: ${exception.name}: ${exception.message}` });
    expect((error as Error).cause).toBe(exception);
  });

  it('retries a throttled call through the retrying decorator, then answers', async () => {
    bedrock
      .on(ConverseCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Too many tokens', $metadata: { ...$metadata, httpStatusCode: 429 } }))
      .resolves(toolUseOutput);
    const waits: number[] = [];
    const retrying = createRetryingProvider(provider(), { baseDelayMs: 1_000 }, { sleep: async (ms) => void waits.push(ms), random: () => 0.5 });

    const response = await retrying.chat(request);

    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(2);
    expect(waits).toEqual([500]);
    expect(response.stopReason).toBe('tool_use');
  });

  it('reports a garbled tool call from the model as a retryable server error', async () => {
    bedrock.on(ConverseCommand).resolves({ ...toolUseOutput, stopReason: 'malformed_tool_use' });

    await expect(provider().chat(request)).rejects.toMatchObject({ kind: 'server', retryable: true, message: expect.stringContaining('malformed_tool_use') });
  });
});
