import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScriptedProvider } from '../../lambdas/adapters/models/scripted-provider.js';
import { ModelError, type ChatMessage, type ChatRequest, type ToolResultPart } from '../../lambdas/ports/model-provider.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dsf-scripted-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileCount = 0;
async function script(lines: readonly unknown[]): Promise<string> {
  const name = `session-${++fileCount}.jsonl`;
  await writeFile(join(dir, name), lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n');
  return name;
}

const session = [
  {
    expect: { role: 'code', textIncludes: ['Add a route'] },
    content: [
      { type: 'text', text: 'Reading first.' },
      { type: 'tool_use', id: 'r1', name: 'read_file', input: { path: 'src/app.js' } },
      { type: 'tool_use', id: 'r2', name: 'list_files', input: {} },
    ],
    usage: { inputTokens: 1800, outputTokens: 240 },
  },
  {
    expect: { role: 'code', toolResults: ['read_file', 'list_files'], resultIncludes: ['export function'], isError: [false, false] },
    content: [{ type: 'tool_use', id: 'w1', name: 'write_file', input: { path: 'src/x.js', content: 'x' } }],
    usage: { inputTokens: 2000, outputTokens: 100 },
    model: 'recorded-model',
  },
  { expect: { toolResults: ['write_file'], isError: true }, content: [{ type: 'text', text: 'Done.' }] },
];

function request(messages: ChatMessage[], role: ChatRequest['role'] = 'code'): ChatRequest {
  return { role, system: 'system', messages, tools: [], maxOutputTokens: 1000 };
}
const userText = (text: string): ChatMessage => ({ role: 'user', content: [{ type: 'text', text }] });
const results = (...parts: Array<[string, string, boolean?]>): ChatMessage => ({
  role: 'user',
  content: parts.map(([toolUseId, content, isError]): ToolResultPart => ({ type: 'tool_result', toolUseId, content, ...(isError ? { isError } : {}) })),
});

async function divergence(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  expect((error as ModelError).kind).toBe('divergence');
  expect((error as ModelError).retryable).toBe(false);
  return error as ModelError;
}

describe('scripted provider', () => {
  it('replays a recorded session turn by turn', async () => {
    const path = await script(session);
    const provider = createScriptedProvider(path, { baseDir: dir });
    expect(provider.id).toBe(`scripted:${path}`);
    expect(provider.remainingTurns).toBe(3);

    const messages: ChatMessage[] = [userText('Task: Add a route')];
    const first = await provider.chat(request(messages));
    expect(first).toEqual({ content: session[0]!.content, stopReason: 'tool_use', usage: { inputTokens: 1800, outputTokens: 240 }, model: 'scripted' });
    messages.push({ role: 'assistant', content: first.content }, results(['r1', 'export function add() {}'], ['r2', 'src/app.js']));

    const second = await provider.chat(request(messages));
    expect(second.model).toBe('recorded-model');
    expect(second.content[0]).toMatchObject({ type: 'tool_use', id: 'w1' });
    messages.push({ role: 'assistant', content: second.content }, results(['w1', 'refused: nope', true]));

    const third = await provider.chat(request(messages));
    expect(third).toMatchObject({ stopReason: 'end_turn', usage: { inputTokens: 0, outputTokens: 0 } });
    expect(provider.remainingTurns).toBe(0);
  });

  it('waits a turn\'s delayMs before answering, and stops waiting when aborted', async () => {
    const path = await script([{ ...session[0], delayMs: 150 }]);
    const started = Date.now();
    await createScriptedProvider(path, { baseDir: dir }).chat(request([userText('Add a route')]));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    const controller = new AbortController();
    const pending = createScriptedProvider(await script([{ ...session[0], delayMs: 60_000 }]), { baseDir: dir }).chat({
      ...request([userText('Add a route')]),
      signal: controller.signal,
    });
    controller.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
  });

  it('diverges on the wrong role', async () => {
    const provider = createScriptedProvider(await script(session), { baseDir: dir });
    const error = await divergence(provider.chat(request([userText('Add a route')], 'review')));
    expect(error.message).toMatch(/line 1: expected a request from role code, got role review/);
  });

  it('diverges when the prompt lacks the expected text', async () => {
    const provider = createScriptedProvider(await script(session), { baseDir: dir });
    const error = await divergence(provider.chat(request([userText('Something else')])));
    expect(error.message).toContain('line 1: expected the user message to include "Add a route"');
  });

  async function afterFirstTurn() {
    const provider = createScriptedProvider(await script(session), { baseDir: dir });
    const messages: ChatMessage[] = [userText('Add a route')];
    const first = await provider.chat(request(messages));
    messages.push({ role: 'assistant', content: first.content });
    return { provider, messages };
  }

  it('diverges when tool results are missing, extra or out of order', async () => {
    for (const [answer, got] of [
      [results(['r1', 'export function']), '["r1"]'],
      [results(['r2', 'x'], ['r1', 'export function']), '["r2","r1"]'],
      [results(['r1', 'export function'], ['r2', 'x'], ['r3', 'x']), '["r1","r2","r3"]'],
      [userText('no results'), '[]'],
    ] as const) {
      const { provider, messages } = await afterFirstTurn();
      const error = await divergence(provider.chat(request([...messages, answer])));
      expect(error.message).toContain(`line 2: expected tool_results for ["r1","r2"] in that order, got ${got}`);
    }
  });

  it('diverges when a result lacks an expected substring', async () => {
    const { provider, messages } = await afterFirstTurn();
    const error = await divergence(provider.chat(request([...messages, results(['r1', 'module.exports = {}'], ['r2', 'x'])])));
    expect(error.message).toContain('line 2: expected the tool_results to include "export function"');
    expect(error.message).toContain('module.exports');
  });

  it('diverges when a result is or is not an error against expectation', async () => {
    const { provider, messages } = await afterFirstTurn();
    const error = await divergence(provider.chat(request([...messages, results(['r1', 'export function'], ['r2', 'refused: x', true])])));
    expect(error.message).toContain('line 2: expected tool_results with isError [false,false], got [false,true]');
  });

  it('diverges when a conversation does not match the replay position', async () => {
    const { provider } = await afterFirstTurn();
    const error = await divergence(provider.chat(request([userText('Add a route')])));
    expect(error.message).toContain('line 2: expected a conversation with 1 assistant turns before this one, got 0');
  });

  it('diverges when the session runs past the end of the script', async () => {
    const provider = createScriptedProvider(await script([{ content: [{ type: 'text', text: 'only turn' }] }]), { baseDir: dir });
    const messages: ChatMessage[] = [userText('go')];
    const first = await provider.chat(request(messages));
    messages.push({ role: 'assistant', content: first.content }, userText('You answered without calling a tool.'));
    const error = await divergence(provider.chat(request(messages)));
    expect(error.message).toContain('ran past the end of the script: request 2 (role code) has no scripted answer after 1 turns');
    expect(error.message).toContain('You answered without calling a tool.');
  });

  it('refuses a broken script at load time, naming the line', async () => {
    const cases: Array<[unknown[], string]> = [
      [[session[0], '{not json'], 'line 2: not JSON'],
      [[session[0], { content: [] }], 'line 2: not a scripted turn'],
      [[{ content: [{ type: 'text', text: 'x' }], expect: { role: 'chef' } }], 'line 1: not a scripted turn'],
      [[session[0], { expect: { toolResults: ['read_file'] }, content: [{ type: 'text', text: 'x' }] }], 'line 2: expect.toolResults ["read_file"] does not match the tool calls of the turn before, ["read_file","list_files"]'],
      [[session[0], { expect: { isError: [false] }, content: [{ type: 'text', text: 'x' }] }], 'line 2: expect.isError has 1 flags'],
      [[session[0], { content: [{ type: 'tool_use', id: 'r1', name: 'x', input: {} }] }], 'line 2: tool_use id "r1" was already used on line 1'],
      [[], 'the script has no turns'],
    ];
    for (const [lines, message] of cases) {
      const path = await script(lines);
      expect(() => createScriptedProvider(path, { baseDir: dir }), message).toThrow(message);
    }
    expect(() => createScriptedProvider('missing.jsonl', { baseDir: dir })).toThrow(/cannot read/);
  });

  it('skips blank lines but keeps file line numbers in messages', async () => {
    const path = await script(['', JSON.stringify({ expect: { role: 'test' }, content: [{ type: 'text', text: 'x' }] })]);
    const provider = createScriptedProvider(path, { baseDir: dir });
    const error = await divergence(provider.chat(request([userText('go')], 'code')));
    expect(error.message).toContain('line 2:');
  });
});
