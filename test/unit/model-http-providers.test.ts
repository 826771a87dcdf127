import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../../lambdas/adapters/models/anthropic-provider.js';
import { createOpenAiProvider } from '../../lambdas/adapters/models/openai-provider.js';
import { createRetryingProvider } from '../../lambdas/adapters/models/retrying-provider.js';
import { ModelError, type ChatRequest } from '../../lambdas/ports/model-provider.js';

interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

type Reply = { status: number; headers?: Record<string, string>; body?: unknown } | 'hang';

/** A local server that answers each request with the next scripted reply, recording what it was sent. */
async function startModelServer(replies: Reply[]) {
  const requests: Recorded[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      const reply = replies.shift() ?? { status: 500, body: { error: { type: 'api_error', message: 'no reply scripted' } } };
      if (reply === 'hang') return;
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(JSON.stringify(reply.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return { url: `http://127.0.0.1:${port}`, requests };
}

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** The second turn of a session: the model asked to read a file, here is the result. */
const toolTurn: ChatRequest = {
  role: 'code',
  system: 'You are the code agent.',
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Add a health endpoint.' }] },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Reading the router first.' },
        { type: 'tool_use', id: 'toolu_01', name: 'read_file', input: { path: 'src/routes.ts' } },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', toolUseId: 'toolu_01', content: 'export const routes = [];', isError: false }] },
  ],
  tools: [
    {
      name: 'write_file',
      description: 'Write a file in the workspace',
      inputSchema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] },
    },
  ],
  maxOutputTokens: 2048,
};

/** Records the waits instead of sleeping them, so the test is fast and can check them. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

const caught = (promise: Promise<unknown>) => promise.then(
  () => {
    throw new Error('expected a rejection');
  },
  (error: unknown) => error,
);

describe('Anthropic Messages adapter', () => {
  const anthropicError = (status: number, type: string, message: string, headers: Record<string, string> = {}): Reply => ({
    status,
    headers,
    body: { type: 'error', error: { type, message } },
  });
  const anthropicMessage = {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [
      { type: 'text', text: 'Writing the route.' },
      { type: 'tool_use', id: 'toolu_02', name: 'write_file', input: { path: 'src/health.ts', content: 'export {}' } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 1200, output_tokens: 85, cache_creation_input_tokens: 0, cache_read_input_tokens: 300 },
  };

  it('sends a tool turn in the Messages wire format and reads the tool call, stop reason and usage back', async () => {
    const server = await startModelServer([{ status: 200, body: anthropicMessage }]);
    const provider = createAnthropicProvider({ model: 'claude-sonnet-4-5', apiKey: 'sk-ant-test', baseUrl: server.url });

    const response = await provider.chat(toolTurn);

    expect(provider.id).toBe('anthropic:claude-sonnet-4-5');
    const [sent] = server.requests;
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.headers['authorization']).toBe('Bearer sk-ant-test');
    expect(sent?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(sent?.headers['x-stainless-retry-count']).toBe('0');
    expect(sent?.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 2048,
      system: 'You are the code agent.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Add a health endpoint.' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Reading the router first.' },
            { type: 'tool_use', id: 'toolu_01', name: 'read_file', input: { path: 'src/routes.ts' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'export const routes = [];' }] },
      ],
      tools: [
        {
          name: 'write_file',
          description: 'Write a file in the workspace',
          input_schema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] },
        },
      ],
    });
    expect(response).toEqual({
      content: [
        { type: 'text', text: 'Writing the route.' },
        { type: 'tool_use', id: 'toolu_02', name: 'write_file', input: { path: 'src/health.ts', content: 'export {}' } },
      ],
      stopReason: 'tool_use',
      usage: { inputTokens: 1500, outputTokens: 85 },
      model: 'claude-sonnet-4-5-20250929',
    });
  });

  it('marks a failed tool result with is_error and maps max_tokens', async () => {
    const server = await startModelServer([{ status: 200, body: { ...anthropicMessage, content: [{ type: 'text', text: 'cut' }], stop_reason: 'max_tokens' } }]);
    const provider = createAnthropicProvider({ model: 'claude-haiku-4-5', apiKey: 'k', baseUrl: server.url });

    const response = await provider.chat({
      ...toolTurn,
      messages: [{ role: 'user', content: [{ type: 'tool_result', toolUseId: 'toolu_01', content: 'ENOENT', isError: true }] }],
    });

    expect(server.requests[0]?.body['messages']).toEqual([
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'ENOENT', is_error: true }] },
    ]);
    expect(response.stopReason).toBe('max_tokens');
  });

  it('waits what a 429 asks (retry-after) and then succeeds, through the retrying decorator', async () => {
    const server = await startModelServer([anthropicError(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', { 'retry-after': '7' }), { status: 200, body: anthropicMessage }]);
    const { waits, sleep } = recordingSleep();
    const provider = createRetryingProvider(createAnthropicProvider({ model: 'claude-sonnet-4-5', apiKey: 'k', baseUrl: server.url }), {}, { sleep, random: () => 0 });

    const response = await provider.chat(toolTurn);

    expect(server.requests).toHaveLength(2);
    expect(waits).toEqual([7_000]);
    expect(response.stopReason).toBe('tool_use');
  });

  it.each([
    [529, 'overloaded_error', 'Overloaded', 'overloaded'],
    [500, 'api_error', 'Internal server error', 'server'],
    [504, 'timeout_error', 'Gateway timeout', 'timeout'],
    [400, 'invalid_request_error', 'messages: text content blocks must be non-empty', 'bad_request'],
    [403, 'permission_error', 'Your API key does not have permission', 'auth'],
  ])('maps HTTP %i (%s) to %s', async (status, type, message, kind) => {
    const server = await startModelServer([anthropicError(status, type, message)]);
    const provider = createAnthropicProvider({ model: 'claude-sonnet-4-5', apiKey: 'k', baseUrl: server.url });

    const error = await caught(provider.chat(toolTurn));

    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ kind, message: expect.stringContaining(message) });
  });

  it('does not retry a 401', async () => {
    const server = await startModelServer([anthropicError(401, 'authentication_error', 'invalid x-api-key'), { status: 200, body: anthropicMessage }]);
    const { waits, sleep } = recordingSleep();
    const provider = createRetryingProvider(createAnthropicProvider({ model: 'claude-sonnet-4-5', apiKey: 'bad', baseUrl: server.url }), {}, { sleep });

    const error = await caught(provider.chat(toolTurn));

    expect(error).toMatchObject({ kind: 'auth', retryable: false });
    expect(server.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('does not retry a spent credit balance', async () => {
    const server = await startModelServer([
      anthropicError(400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.'),
      { status: 200, body: anthropicMessage },
    ]);
    const { sleep } = recordingSleep();
    const provider = createRetryingProvider(createAnthropicProvider({ model: 'claude-sonnet-4-5', apiKey: 'k', baseUrl: server.url }), {}, { sleep });

    const error = await caught(provider.chat(toolTurn));

    expect(error).toMatchObject({ kind: 'spend_limit', retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after the attempts it is allowed on a server that keeps failing', async () => {
    const server = await startModelServer([anthropicError(503, 'api_error', 'down'), anthropicError(503, 'api_error', 'down'), anthropicError(503, 'api_error', 'still down')]);
    const { waits, sleep } = recordingSleep();
    const provider = createRetryingProvider(createAnthropicProvider({ model: 'claude-sonnet-4-5', apiKey: 'k', baseUrl: server.url }), { maxAttempts: 3 }, { sleep });

    const error = await caught(provider.chat(toolTurn));

    expect(error).toMatchObject({ kind: 'server', message: expect.stringContaining('still down') });
    expect(server.requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });
});

describe('OpenAI-compatible Chat Completions adapter', () => {
  const completion = (message: Record<string, unknown>, finishReason: string, usage: 'with usage' | 'without usage' = 'with usage') => ({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_764_000_000,
    model: 'gpt-4.1-mini-2025-04-14',
    choices: [{ index: 0, message: { role: 'assistant', refusal: null, ...message }, finish_reason: finishReason }],
    ...(usage === 'with usage' ? { usage: { prompt_tokens: 900, completion_tokens: 40, total_tokens: 940 } } : {}),
  });
  const toolCallCompletion = completion(
    {
      content: null,
      tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'write_file', arguments: '{"path":"src/health.ts","content":"export {}"}' } }],
    },
    'tool_calls',
  );
  const openAiError = (status: number, error: Record<string, unknown>, headers: Record<string, string> = {}): Reply => ({ status, headers, body: { error } });

  it('sends tools, assistant tool calls and tool results in the Chat Completions format and reads a tool call back', async () => {
    const server = await startModelServer([{ status: 200, body: toolCallCompletion }]);
    const provider = createOpenAiProvider({ model: 'gpt-4.1-mini', apiKey: 'sk-test', baseUrl: `${server.url}/v1` });

    const response = await provider.chat(toolTurn);

    expect(provider.id).toBe('openai:gpt-4.1-mini');
    const [sent] = server.requests;
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.headers['authorization']).toBe('Bearer sk-test');
    expect(sent?.body).toEqual({
      model: 'gpt-4.1-mini',
      max_tokens: 2048,
      messages: [
        { role: 'system', content: 'You are the code agent.' },
        { role: 'user', content: 'Add a health endpoint.' },
        {
          role: 'assistant',
          content: 'Reading the router first.',
          tool_calls: [{ id: 'toolu_01', type: 'function', function: { name: 'read_file', arguments: '{"path":"src/routes.ts"}' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_01', content: 'export const routes = [];' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'write_file',
            description: 'Write a file in the workspace',
            parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] },
          },
        },
      ],
    });
    expect(response).toEqual({
      content: [{ type: 'tool_use', id: 'call_abc', name: 'write_file', input: { path: 'src/health.ts', content: 'export {}' } }],
      stopReason: 'tool_use',
      usage: { inputTokens: 900, outputTokens: 40 },
      model: 'gpt-4.1-mini-2025-04-14',
    });
  });

  it('works without a key against a local server that reports tool calls with finish_reason "stop" and no usage (Ollama)', async () => {
    const server = await startModelServer([
      {
        status: 200,
        body: completion({ content: '', tool_calls: [{ id: 'call_x', type: 'function', function: { name: 'write_file', arguments: '{"path":"a","content":"b"}' } }] }, 'stop', 'without usage'),
      },
    ]);
    const provider = createOpenAiProvider({ model: 'qwen2.5-coder:7b', baseUrl: `${server.url}/v1` });

    const response = await provider.chat({ ...toolTurn, messages: [{ role: 'user', content: [{ type: 'text', text: 'go' }] }] });

    expect(response.stopReason).toBe('tool_use');
    expect(response.content).toEqual([{ type: 'tool_use', id: 'call_x', name: 'write_file', input: { path: 'a', content: 'b' } }]);
    expect(response.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('sends tool results before the text of the same user turn, and flags failed ones', async () => {
    const server = await startModelServer([{ status: 200, body: completion({ content: 'Done.' }, 'stop') }]);
    const provider = createOpenAiProvider({ model: 'm', baseUrl: `${server.url}/v1` });

    const response = await provider.chat({
      ...toolTurn,
      system: '',
      tools: [],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Steps left: 3.' },
            { type: 'tool_result', toolUseId: 'call_1', content: 'tests failed', isError: true },
          ],
        },
      ],
    });

    expect(server.requests[0]?.body['messages']).toEqual([
      { role: 'tool', tool_call_id: 'call_1', content: 'ERROR: tests failed' },
      { role: 'user', content: 'Steps left: 3.' },
    ]);
    expect(server.requests[0]?.body).not.toHaveProperty('tools');
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer not-needed');
    expect(response).toMatchObject({ content: [{ type: 'text', text: 'Done.' }], stopReason: 'end_turn' });
  });

  it('waits what a 429 asks (retry-after-ms) and then succeeds, through the retrying decorator', async () => {
    const server = await startModelServer([
      openAiError(429, { message: 'Rate limit reached for gpt-4.1-mini on tokens per min (TPM)', type: 'tokens', code: 'rate_limit_exceeded' }, { 'retry-after-ms': '1500' }),
      { status: 200, body: toolCallCompletion },
    ]);
    const { waits, sleep } = recordingSleep();
    const provider = createRetryingProvider(createOpenAiProvider({ model: 'gpt-4.1-mini', apiKey: 'k', baseUrl: `${server.url}/v1` }), {}, { sleep, random: () => 0 });

    const response = await provider.chat(toolTurn);

    expect(server.requests).toHaveLength(2);
    expect(waits).toEqual([1_500]);
    expect(response.stopReason).toBe('tool_use');
  });

  it('does not retry an exhausted quota, even though it comes as a 429', async () => {
    const server = await startModelServer([
      openAiError(429, { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', code: 'insufficient_quota' }),
      { status: 200, body: toolCallCompletion },
    ]);
    const { sleep } = recordingSleep();
    const provider = createRetryingProvider(createOpenAiProvider({ model: 'gpt-4.1-mini', apiKey: 'k', baseUrl: `${server.url}/v1` }), {}, { sleep });

    const error = await caught(provider.chat(toolTurn));

    expect(error).toMatchObject({ kind: 'spend_limit', message: 'openai: HTTP 429: You exceeded your current quota, please check your plan and billing details.' });
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a 401', async () => {
    const server = await startModelServer([openAiError(401, { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' })]);
    const { sleep } = recordingSleep();
    const provider = createRetryingProvider(createOpenAiProvider({ model: 'gpt-4.1-mini', apiKey: 'k', baseUrl: `${server.url}/v1` }), {}, { sleep });

    await expect(provider.chat(toolTurn)).rejects.toMatchObject({ kind: 'auth' });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 502 and reports a 400 as a bad request', async () => {
    const server = await startModelServer([
      openAiError(502, { message: 'Bad gateway', type: 'server_error' }),
      openAiError(400, { message: "This model's maximum context length is 128000 tokens", type: 'invalid_request_error', code: 'context_length_exceeded' }),
    ]);
    const { waits, sleep } = recordingSleep();
    const provider = createRetryingProvider(createOpenAiProvider({ model: 'gpt-4.1-mini', apiKey: 'k', baseUrl: `${server.url}/v1` }), {}, { sleep });

    const error = await caught(provider.chat(toolTurn));

    expect(error).toMatchObject({ kind: 'bad_request', retryable: false });
    expect(server.requests).toHaveLength(2);
    expect(waits).toHaveLength(1);
  });

  it('reports a server that does not answer in time as a timeout', async () => {
    const server = await startModelServer(['hang']);
    const provider = createOpenAiProvider({ model: 'm', baseUrl: `${server.url}/v1`, timeoutMs: 200 });

    await expect(provider.chat(toolTurn)).rejects.toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('passes a cancellation through as the caller’s reason, not as a model error', async () => {
    const server = await startModelServer(['hang']);
    const controller = new AbortController();
    const provider = createRetryingProvider(createOpenAiProvider({ model: 'm', baseUrl: `${server.url}/v1` }));
    const reason = new Error('task cancelled');

    const pending = caught(provider.chat({ ...toolTurn, signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort(reason);

    expect(await pending).toBe(reason);
  });

  it('treats tool arguments that are not JSON as a retryable model hiccup', async () => {
    const server = await startModelServer([
      { status: 200, body: completion({ content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'write_file', arguments: '{"path": "a",' } }] }, 'tool_calls') },
    ]);
    const provider = createOpenAiProvider({ model: 'm', baseUrl: `${server.url}/v1` });

    await expect(provider.chat(toolTurn)).rejects.toMatchObject({ kind: 'server', retryable: true, message: expect.stringContaining('write_file') });
  });

});
