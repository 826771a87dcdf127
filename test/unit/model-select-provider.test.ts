import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemoryBudgetLedger } from '../../lambdas/adapters/memory/memory-budget-ledger.js';
import { checkModelConfig, defaultModel, modelSpecFor, selectModelProvider } from '../../lambdas/adapters/models/select-provider.js';
import { ConfigError } from '../../lambdas/config.js';
import type { ChatRequest } from '../../lambdas/ports/model-provider.js';

const bedrock = mockClient(BedrockRuntimeClient);
afterEach(() => bedrock.reset());

const firstTurn: ChatRequest = { role: 'code', system: 'sys', messages: [{ role: 'user', content: [{ type: 'text', text: 'Do the task.' }] }], tools: [], maxOutputTokens: 256 };

/** A server answering every request with one Anthropic message or Chat Completion (by path), recording model and auth header. */
const seen: Array<{ path: string; model: unknown; headers: IncomingHttpHeaders }> = [];
let failuresToSend = 0;
const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  request.on('end', () => {
    const json = JSON.parse(body) as { model: unknown };
    seen.push({ path: request.url ?? '', model: json.model, headers: request.headers });
    if (failuresToSend > 0) {
      failuresToSend -= 1;
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
      response.end(JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify(
        request.url?.endsWith('/chat/completions')
          ? { model: json.model, choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'from openai' } }], usage: { prompt_tokens: 5, completion_tokens: 2 } }
          : { type: 'message', role: 'assistant', model: json.model, content: [{ type: 'text', text: 'from anthropic' }], stop_reason: 'end_turn', usage: { input_tokens: 5, output_tokens: 2 } },
      ),
    );
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  seen.length = 0;
  failuresToSend = 0;
});

/** Session files whose only turn says which file it is. */
const sessions = mkdtempSync(join(tmpdir(), 'dsf-sessions-'));
const writeSession = (name: string, turns = 1) =>
  writeFileSync(
    join(sessions, name),
    Array.from({ length: turns }, (_, i) => JSON.stringify({ content: [{ type: 'text', text: `${name} turn ${i + 1}` }], usage: { inputTokens: 10, outputTokens: 5 } })).join('\n'),
  );
mkdirSync(join(sessions, 'by-task'));
for (const name of ['t1.code.jsonl', 't1.jsonl', 'code.jsonl', 'review.jsonl']) writeSession(join('by-task', name));
writeSession('single.jsonl', 3);

const problemsOf = async (promise: Promise<unknown>): Promise<string[]> => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems;
};

describe('selectModelProvider', () => {
  it('bedrock:<model-id> calls Converse with that model', async () => {
    bedrock.on(ConverseCommand).resolves({
      output: { message: { role: 'assistant', content: [{ text: 'from bedrock' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7 },
      metrics: { latencyMs: 1 },
    });
    const env = { DSF_MODEL: 'bedrock:eu.anthropic.claude-haiku-4-5-20251001-v1:0' };

    const provider = await selectModelProvider({ env, role: 'code', bedrockClient: new BedrockRuntimeClient({ region: 'eu-west-1' }) });
    const response = await provider.chat(firstTurn);

    expect(provider.id).toBe('bedrock:eu.anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(bedrock.commandCalls(ConverseCommand)[0]!.args[0].input.modelId).toBe('eu.anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(response.content).toEqual([{ type: 'text', text: 'from bedrock' }]);
  });

  it('defaults to Bedrock when DSF_MODEL is unset', () => {
    expect(modelSpecFor({}, 'code')).toEqual({ provider: 'bedrock', model: defaultModel.slice('bedrock:'.length), source: 'default' });
  });

  it('anthropic:<model> talks to ANTHROPIC_BASE_URL with ANTHROPIC_API_KEY', async () => {
    const env = { DSF_MODEL: 'anthropic:claude-sonnet-4-5', ANTHROPIC_API_KEY: 'sk-ant-local', ANTHROPIC_BASE_URL: serverUrl };

    const provider = await selectModelProvider({ env, role: 'code' });
    const response = await provider.chat(firstTurn);

    expect(provider.id).toBe('anthropic:claude-sonnet-4-5');
    expect(seen).toMatchObject([{ path: '/v1/messages', model: 'claude-sonnet-4-5', headers: { authorization: 'Bearer sk-ant-local' } }]);
    expect(response.content).toEqual([{ type: 'text', text: 'from anthropic' }]);
  });

  it('reads the Anthropic key from the secret named by DSF_ANTHROPIC_API_KEY_SECRET_ID when a lookup is given', async () => {
    const asked: string[] = [];
    const env = { DSF_MODEL: 'anthropic:claude-sonnet-4-5', DSF_ANTHROPIC_API_KEY_SECRET_ID: 'dsf/dev/anthropic-api-key', ANTHROPIC_BASE_URL: serverUrl };

    const provider = await selectModelProvider({ env, role: 'code', secrets: async (name) => (asked.push(name), 'sk-ant-from-secrets') });
    await provider.chat(firstTurn);

    expect(asked).toEqual(['dsf/dev/anthropic-api-key']);
    expect(seen[0]?.headers['authorization']).toBe('Bearer sk-ant-from-secrets');
  });

  it('openai:<model> talks to OPENAI_BASE_URL, and needs no key for a local server', async () => {
    const env = { DSF_MODEL: 'openai:qwen2.5-coder:32b', OPENAI_BASE_URL: `${serverUrl}/v1` };

    const provider = await selectModelProvider({ env, role: 'test' });
    const response = await provider.chat(firstTurn);

    expect(provider.id).toBe('openai:qwen2.5-coder:32b');
    expect(seen).toMatchObject([{ path: '/v1/chat/completions', model: 'qwen2.5-coder:32b' }]);
    expect(response.content).toEqual([{ type: 'text', text: 'from openai' }]);
  });

  it('scripted:<file> replays that session', async () => {
    const provider = await selectModelProvider({ env: { DSF_MODEL: `scripted:${join(sessions, 'single.jsonl')}` }, role: 'code' });

    const response = await provider.chat(firstTurn);

    expect(response.content).toEqual([{ type: 'text', text: 'single.jsonl turn 1' }]);
  });

  it.each([
    ['code', 't1', 'by-task/t1.code.jsonl'],
    ['test', 't1', 'by-task/t1.jsonl'],
    ['review', 't2', 'by-task/review.jsonl'],
    ['code', undefined, 'by-task/code.jsonl'],
  ] as const)('scripted:<dir> for role %s of task %s replays %s', async (role, taskId, expected) => {
    const provider = await selectModelProvider({ env: { DSF_MODEL: 'scripted:by-task' }, role, baseDir: sessions, ...(taskId ? { taskId } : {}) });

    const response = await provider.chat({ ...firstTurn, role });

    expect(provider.id).toBe(`scripted:${expected}`);
    expect(response.content).toEqual([{ type: 'text', text: `${expected} turn 1` }]);
  });

  it('scripted:<dir> without a matching session lists the files it tried', async () => {
    const problems = await problemsOf(selectModelProvider({ env: { DSF_MODEL_CONFLICT: 'scripted:by-task' }, role: 'conflict', taskId: 't9', baseDir: sessions }));

    expect(problems).toEqual(['DSF_MODEL_CONFLICT: no scripted session for role conflict of task t9 in by-task; tried t9.conflict.jsonl, t9.jsonl, conflict.jsonl']);
  });

  it('a role override wins over DSF_MODEL for that role only', async () => {
    const env = { DSF_MODEL: `openai:gpt-4.1-mini`, OPENAI_BASE_URL: `${serverUrl}/v1`, DSF_MODEL_REVIEW: 'anthropic:claude-opus-4-5', ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: serverUrl };

    const [review, code] = await Promise.all([selectModelProvider({ env, role: 'review' }), selectModelProvider({ env, role: 'code' })]);

    expect(review.id).toBe('anthropic:claude-opus-4-5');
    expect(code.id).toBe('openai:gpt-4.1-mini');
    expect(modelSpecFor(env, 'review').source).toBe('DSF_MODEL_REVIEW');
    expect(modelSpecFor({ ...env, DSF_MODEL_PLANNER: ' ' }, 'planner').source).toBe('DSF_MODEL');
  });

  it('names the variable of a bad value, without echoing the value', async () => {
    const env = { DSF_MODEL: 'sk-proj-abc123', DSF_MODEL_TEST: 'ollama:llama3', DSF_MODEL_PLANNER: 'openai:' };

    const problems = await problemsOf(selectModelProvider({ env, role: 'code' }));

    expect(problems).toEqual([
      'DSF_MODEL: must be bedrock:<model-id>, anthropic:<model>, openai:<model> or scripted:<path>',
      'DSF_MODEL_PLANNER: names no model after "openai:"; must be bedrock:<model-id>, anthropic:<model>, openai:<model> or scripted:<path>',
      'DSF_MODEL_TEST: must be bedrock:<model-id>, anthropic:<model>, openai:<model> or scripted:<path> (provider "ollama" is not one of them)',
    ]);
    expect(problems.join('\n')).not.toContain('sk-proj-abc123');
  });

  it('reports a missing key by its variable', async () => {
    await expect(problemsOf(selectModelProvider({ env: { DSF_MODEL: 'anthropic:claude-sonnet-4-5' }, role: 'code' }))).resolves.toEqual([
      expect.stringMatching(/^ANTHROPIC_API_KEY: required by DSF_MODEL=anthropic:/),
    ]);
    await expect(problemsOf(selectModelProvider({ env: { DSF_MODEL_CODE: 'openai:gpt-4.1' }, role: 'code' }))).resolves.toEqual([
      expect.stringMatching(/^OPENAI_API_KEY: required by DSF_MODEL_CODE=openai:/),
    ]);
    await expect(
      problemsOf(selectModelProvider({ env: { DSF_MODEL: 'openai:gpt-4.1', DSF_OPENAI_API_KEY_SECRET_ID: 'dsf/dev/openai' }, role: 'code' })),
    ).resolves.toEqual([expect.stringMatching(/^DSF_OPENAI_API_KEY_SECRET_ID: is set, but this runtime has no secrets lookup/)]);
  });

  it('checks base URLs, prices and budgets along with the models', async () => {
    const env = { OPENAI_BASE_URL: 'localhost:11434', DSF_MODEL_PRICES: '[]', DSF_BUDGET_TASK: '{"usd":"lots"}' };

    const problems = await problemsOf(Promise.resolve().then(() => checkModelConfig(env)));

    expect(problems).toEqual([
      'OPENAI_BASE_URL: must be a URL like http://127.0.0.1:11434/v1',
      expect.stringMatching(/^DSF_MODEL_PRICES: /),
      expect.stringMatching(/^DSF_BUDGET_TASK\.usd: /),
    ]);
  });

  it('wraps the provider in retries', async () => {
    failuresToSend = 1;
    const waits: number[] = [];
    const env = { DSF_MODEL: 'anthropic:claude-sonnet-4-5', ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: serverUrl };

    const provider = await selectModelProvider({ env, role: 'code', retryHooks: { sleep: async (ms) => void waits.push(ms), random: () => 0 } });
    const response = await provider.chat(firstTurn);

    expect(seen).toHaveLength(2);
    expect(waits).toEqual([2_000]);
    expect(response.content).toEqual([{ type: 'text', text: 'from anthropic' }]);
  });

  it('wraps the provider in the budget when a ledger is given, with limits from DSF_BUDGET_TASK', async () => {
    const ledger = new MemoryBudgetLedger();
    const env = { DSF_MODEL: `scripted:${join(sessions, 'single.jsonl')}`, DSF_BUDGET_TASK: '{"steps":1}' };
    const provider = await selectModelProvider({ env, role: 'code', budget: { ledger, scope: { featureId: 'feat_1', taskId: 't1' } } });
    const first = await provider.chat(firstTurn);

    const second = provider.chat({ ...firstTurn, messages: [...firstTurn.messages, { role: 'assistant', content: first.content }, firstTurn.messages[0]!] });

    await expect(second).rejects.toMatchObject({ kind: 'budget_exhausted', message: expect.stringContaining('steps limit 1') });
    await expect(ledger.taskSpend('feat_1', 't1')).resolves.toMatchObject({ settled: { steps: 1, tokens: 15 } });
  });
});
