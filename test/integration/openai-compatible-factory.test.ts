import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { DEMO_REPO, ensureExampleRepository } from '../../local/demo/demo.js';
import { isTerminalTaskStatus, type Task } from '../../lambdas/core/task.js';
import { systemPromptFor } from '../../lambdas/agents/prompts.js';
import { featureBranchName } from '../../lambdas/ports/workspace.js';
import { startTestRuntime, submitFeature, waitForExecution, waitUntil } from '../support/runtime.js';

/**
 * Issue 6, "Done when": setting DSF_MODEL=openai:<model> and OPENAI_BASE_URL to
 * any OpenAI-compatible server makes the whole factory use it, with no other
 * change. The server here is a few lines of node:http speaking Chat Completions;
 * the runtime is the real one (queues, state machine, agent worker, git host),
 * configured through the environment only.
 */

interface RecordedRequest {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: ChatCompletionsRequest;
}

interface ChatCompletionsRequest {
  readonly model: string;
  readonly messages: ReadonlyArray<{ role: string; content: unknown; tool_call_id?: string }>;
  readonly tools?: ReadonlyArray<{ type: string; function: { name: string } }>;
}

const MODEL = 'test-model';
const API_KEY = 'sk-dummy-compatible-server';
const WRITTEN_PATH = 'src/shelf-size.js';
const WRITTEN_CONTENT = [
  "import { listBooks } from './books.js';",
  '',
  '/** @returns {number} how many books the catalogue holds */',
  'export function shelfSize() {',
  '  return listBooks().length;',
  '}',
  '',
].join('\n');
const SUMMARY = 'Added src/shelf-size.js: shelfSize() counts the books in the catalogue.';
/** Usage the server reports per turn; the task's recorded usage must be exactly their sum. */
const TURN_USAGE = [
  { prompt_tokens: 1_234, completion_tokens: 56 },
  { prompt_tokens: 1_478, completion_tokens: 31 },
] as const;

/** The next assistant turn of a code agent, chosen by how far the conversation got (tool results so far). */
function nextTurn(request: ChatCompletionsRequest) {
  const toolResults = request.messages.filter((message) => message.role === 'tool').length;
  const call =
    toolResults === 0
      ? { id: 'call_write_1', name: 'write_file', args: { path: WRITTEN_PATH, content: WRITTEN_CONTENT }, text: 'Writing the module.' }
      : { id: 'call_finish_1', name: 'finish', args: { summary: SUMMARY }, text: null };
  const usage = TURN_USAGE[Math.min(toolResults, TURN_USAGE.length - 1)]!;
  return {
    id: `chatcmpl-${toolResults + 1}`,
    object: 'chat.completion',
    created: 1_767_225_600,
    model: request.model,
    choices: [
      {
        index: 0,
        finish_reason: 'tool_calls',
        message: {
          role: 'assistant',
          content: call.text,
          tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args) } }],
        },
      },
    ],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

/** A minimal OpenAI-compatible server: POST /v1/chat/completions only, every request recorded. */
async function startCompatibleServer(): Promise<{ url: string; requests: RecordedRequest[]; server: Server }> {
  const requests: RecordedRequest[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        reply(404, { error: { type: 'invalid_request_error', message: `no route ${request.method} ${request.url}` } });
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatCompletionsRequest;
      requests.push({ path: request.url, authorization: request.headers['authorization'], body });
      reply(200, nextTurn(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, server };
}

const MODEL_VARIABLES = ['DSF_MODEL', 'OPENAI_BASE_URL', 'OPENAI_API_KEY'] as const;
const savedEnv = Object.fromEntries(MODEL_VARIABLES.map((name) => [name, process.env[name]]));

let modelServer: Awaited<ReturnType<typeof startCompatibleServer>>;
let runtime: LocalRuntime;
let dataDir: string;
let featureId: string;
let task: Task;

beforeAll(async () => {
  modelServer = await startCompatibleServer();
  // The only configuration: the environment the runtime reads at start, as an operator would set it.
  process.env['DSF_MODEL'] = `openai:${MODEL}`;
  process.env['OPENAI_BASE_URL'] = `${modelServer.url}/v1`;
  process.env['OPENAI_API_KEY'] = API_KEY;
  dataDir = await mkdtemp(join(tmpdir(), 'dsf-openai-compatible-'));
  runtime = await startTestRuntime({ dataDir, visibilityTimeoutSeconds: 300, attemptTimeoutMs: 120_000 });
  await ensureExampleRepository(runtime.gitHost);

  featureId = await submitFeature(runtime, {
    title: 'Tell how many books are on the shelf',
    description: 'Add a module that counts the books in the catalogue.',
    repo: DEMO_REPO,
    baseBranch: 'main',
    tasks: [
      {
        id: 'shelf-size',
        title: 'Count the books',
        description: `Add ${WRITTEN_PATH} exporting shelfSize(), the number of books in the catalogue.`,
        agentType: 'code',
        acceptanceCriteria: ['Given the catalogue, when shelfSize() is called, then it answers the number of books'],
      },
    ],
  });
  task = await waitUntil(
    async () => {
      const current = await runtime.store.getTask(featureId, 'shelf-size');
      return current && isTerminalTaskStatus(current.status) ? current : undefined;
    },
    25_000,
    'the code task to finish',
  );
  await waitForExecution(runtime, featureId);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await new Promise<void>((resolve) => {
    if (!modelServer) return resolve();
    modelServer.server.closeAllConnections();
    modelServer.server.close(() => resolve());
  });
  for (const name of MODEL_VARIABLES) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('the factory on an OpenAI-compatible server chosen by DSF_MODEL and OPENAI_BASE_URL', () => {
  it('takes its model from the environment', () => {
    expect(runtime.modelId).toBe(`openai:${MODEL}`);
  });

  it('runs the code task to success, with the file the model wrote committed on the feature branch', async () => {
    expect(task.status).toBe('succeeded');
    expect(task.result?.summary).toBe(SUMMARY);
    expect(task.result?.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(await runtime.gitHost.readFile(DEMO_REPO, featureBranchName(featureId), WRITTEN_PATH)).toBe(WRITTEN_CONTENT);
  });

  it('records exactly the calls and tokens the server reported', () => {
    expect(task.result?.usage).toEqual({
      calls: 2,
      inputTokens: TURN_USAGE[0].prompt_tokens + TURN_USAGE[1].prompt_tokens,
      outputTokens: TURN_USAGE[0].completion_tokens + TURN_USAGE[1].completion_tokens,
      // An unpriced model costs nothing (DSF_MODEL_PRICES would price it).
      costUsd: 0,
    });
  });

  it('sent every request to the configured server, for the configured model, with the key and the code agent tools', () => {
    const { requests } = modelServer;
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.path).toBe('/v1/chat/completions');
      expect(request.authorization).toBe(`Bearer ${API_KEY}`);
      expect(request.body.model).toBe(MODEL);
      // The code agent's loop, not the planner: an explicit plan is never sent to a planner model.
      expect(request.body.messages[0]).toEqual({ role: 'system', content: systemPromptFor('code') });
      const tools = (request.body.tools ?? []).map((tool) => tool.function.name);
      expect(tools).toEqual(expect.arrayContaining(['list_files', 'read_file', 'search', 'write_file', 'edit_file', 'finish']));
    }
    const toolMessages = requests[1]!.body.messages.filter((message) => message.role === 'tool');
    expect(toolMessages).toEqual([{ role: 'tool', tool_call_id: 'call_write_1', content: expect.not.stringMatching(/^ERROR/) }]);
  });

  it('stops the feature at the Gate, since an explicit plan without a review task ran no quality gates', async () => {
    const feature = await runtime.store.getFeature(featureId);
    expect(feature?.status).toBe('failed');
    expect(feature?.statusReason).toContain('no review task ran the quality gates');
  });
});
