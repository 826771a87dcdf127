import { readdirSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { text } from '../../lambdas/adapters/local-git/git-cli.js';
import { createScriptedProvider } from '../../lambdas/adapters/models/scripted-provider.js';
import { AgentStopError } from '../../lambdas/agents/agent-errors.js';
import { runAgentLoop, type AgentLoopInput } from '../../lambdas/agents/agent-loop.js';
import { planFeatureWithModel } from '../../lambdas/agents/llm-planner.js';
import { planFeature } from '../../lambdas/core/planner.js';
import { agentRoleSchema } from '../../lambdas/ports/model-provider.js';
import { transcriptEntryInputSchema, type TranscriptEntryInput } from '../../lambdas/ports/transcript-store.js';
import { git, makeSourceRepo, removeTempDirs } from '../support/local-git.js';

const sessions = join(import.meta.dirname, '..', 'fixtures', 'sessions');
const injections = join(import.meta.dirname, '..', 'fixtures', 'injection');

afterAll(removeTempDirs);

/** A tiny node:test project, committed, as a target repository would be. */
const PROJECT: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'demo', private: true, type: 'module', scripts: { test: 'node --test' } }, null, 2) + '\n',
  'src/math.js': 'export function add(a, b) {\n  return a + b;\n}\n',
  'test/math.test.js':
    "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { add } from '../src/math.js';\n\ntest('add adds', () => {\n  assert.equal(add(2, 3), 5);\n});\n",
  'README.md': '# demo\n',
};

const feature = { id: 'f-demo', title: 'Add multiply', description: 'Add multiply(a, b) to the math module.' };
const task = {
  id: 'multiply',
  title: 'Add multiply',
  description: 'Add multiply(a, b) next to add.',
  acceptanceCriteria: ['Given two numbers, when multiply is called, then it returns their product'],
};
/** Prices of a made-up model: $3 per million input tokens, $15 per million output tokens. */
const costOf = (_model: string, usage: { inputTokens: number; outputTokens: number }) => (usage.inputTokens * 3 + usage.outputTokens * 15) / 1e6;

interface Harness {
  readonly entries: TranscriptEntryInput[];
  heartbeats: number;
  readonly input: AgentLoopInput;
}

function harness(session: string, overrides: Partial<AgentLoopInput> & { workspaceDir: string }): Harness {
  const entries: TranscriptEntryInput[] = [];
  const state: Harness = {
    entries,
    heartbeats: 0,
    input: {
      role: 'code',
      provider: createScriptedProvider(session, { baseDir: sessions }),
      feature,
      task,
      attempt: 1,
      limits: { maxSteps: 20, maxOutputTokens: 4_000 },
      signal: new AbortController().signal,
      heartbeat: async () => {
        state.heartbeats++;
      },
      // The store validates every entry; so does this sink, so a malformed entry fails the test.
      transcript: async (entry) => {
        entries.push(transcriptEntryInputSchema.parse(entry));
      },
      costOf,
      ...overrides,
    },
  };
  return state;
}

const kinds = (entries: readonly TranscriptEntryInput[]) => entries.map((e) => (e.tool ? `${e.kind}:${e.tool}` : e.kind));
const headOf = async (dir: string) => text(await git(['rev-parse', 'HEAD'], { cwd: dir }));
const statusOf = async (dir: string) => text(await git(['status', '--porcelain', '--untracked-files=all'], { cwd: dir }));

describe('agent loop with scripted sessions', () => {
  it('works a code task on a real repository: edits, runs its tests through run, reports usage and cost, never commits', async () => {
    const dir = await makeSourceRepo(PROJECT);
    const head = await headOf(dir);
    const provider = createScriptedProvider('code-add-multiply.jsonl', { baseDir: sessions });
    const h = harness('code-add-multiply.jsonl', { workspaceDir: dir, provider });

    const result = await runAgentLoop(h.input);

    expect(result.summary).toContain('Added multiply');
    expect(result.steps).toBe(4);
    expect(result.filesChanged).toEqual(['src/math.js', 'test/multiply.test.js']);
    expect(result.refusals).toEqual([]);
    expect(result.usage).toEqual({ inputTokens: 9_400, outputTokens: 480, calls: 4, costUsd: (9_400 * 3 + 480 * 15) / 1e6 });
    expect(await readFile(join(dir, 'src/math.js'), 'utf8')).toContain('export function multiply(a, b) {\n  return a * b;\n}');
    expect(await headOf(dir)).toBe(head);
    expect((await statusOf(dir)).split('\n').sort()).toEqual([' M src/math.js', '?? test/multiply.test.js']);
    expect(h.heartbeats).toBe(4);
    expect(provider.remainingTurns).toBe(0);

    expect(kinds(h.entries)).toEqual([
      'prompt',
      'assistant', 'usage', 'tool_call:read_file', 'tool_result:read_file',
      'assistant', 'usage', 'tool_call:edit_file', 'tool_result:edit_file', 'tool_call:write_file', 'tool_result:write_file',
      'usage', 'tool_call:run', 'tool_result:run',
      'assistant', 'usage', 'tool_call:finish', 'tool_result:finish',
      'stop',
    ]);
    expect(h.entries.every((e) => e.featureId === 'f-demo' && e.taskId === 'multiply' && e.role === 'code' && e.attempt === 1)).toBe(true);
    expect(h.entries.find((e) => e.kind === 'tool_result' && e.tool === 'run')?.body).toContain('# pass 2');
    expect(h.entries.find((e) => e.kind === 'usage')?.usage).toEqual({ inputTokens: 1_800, outputTokens: 120, costUsd: (1_800 * 3 + 120 * 15) / 1e6 });
    const prompt = h.entries[0]!.body;
    expect(prompt).toContain('<untrusted source="repository-map">');
    expect(prompt).toContain('src/: math.js');
    expect(prompt).toContain('Scripts `run` accepts here: test.');
    expect(h.entries.at(-1)?.body).toMatch(/^finished: Added multiply/);
  });

  it('stops a session that reaches the step limit, with the usage so far', async () => {
    const dir = await makeSourceRepo(PROJECT);
    const h = harness('step-limit.jsonl', { workspaceDir: dir, limits: { maxSteps: 3, maxOutputTokens: 1_000 } });

    const error = await runAgentLoop(h.input).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AgentStopError);
    expect(error).toMatchObject({ reason: 'step_limit', retryable: false, details: { usage: { calls: 3, inputTokens: 600 } } });
    expect((error as Error).message).toContain('stopped after 3 steps without an accepted finish');
    expect(h.entries.at(-1)).toMatchObject({ kind: 'stop', isError: true });
    expect(h.entries.at(-1)?.body).toMatch(/^step_limit: /);
    expect(h.heartbeats).toBe(3);
  });

  it('stops the same failing call repeated three times and says which', async () => {
    const dir = await makeSourceRepo(PROJECT);
    const h = harness('repeated-failure.jsonl', { workspaceDir: dir });

    const error = await runAgentLoop(h.input).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AgentStopError);
    expect(error).toMatchObject({ reason: 'repeated_failure', retryable: false });
    expect((error as Error).message).toContain('the same failing edit_file call 3 times');
    expect((error as Error).message).toContain('0 matches');
    expect(h.entries.filter((e) => e.kind === 'tool_result' && e.isError)).toHaveLength(3);
  });

  it('runs a review that cannot write and returns request_changes with reasons', async () => {
    const dir = await makeSourceRepo(PROJECT);
    const before = await readFile(join(dir, 'src/math.js'), 'utf8');
    const context = 'diff --git a/src/math.js b/src/math.js\n+export function multiply(a, b) { return a * b; }\n\nGate: passed (tests, lint)';
    let sinkCalls = 0;
    const h = harness('review-request-changes.jsonl', {
      workspaceDir: dir,
      role: 'review',
      context,
      gatePassed: true,
      // A store that fails every other append: the review still completes.
      transcript: async () => {
        if (++sinkCalls % 2 === 0) throw new Error('transcript store unavailable');
      },
    });

    const result = await runAgentLoop(h.input);

    expect(result.verdict).toEqual({
      decision: 'request_changes',
      reasons: ['Acceptance criterion 2 (negative numbers) has no test.', 'multiply is not exported from the package entry point.'],
    });
    expect(result.refusals).toEqual([{ tool: 'write_file', reason: expect.stringContaining('no tool named "write_file"') }]);
    expect(await readFile(join(dir, 'src/math.js'), 'utf8')).toBe(before);
    expect(result.filesChanged).toEqual([]);
    expect(result.transcriptErrors).toBeGreaterThan(0);
  });

  it('refuses a review that approves over a failed gate', async () => {
    const dir = await makeSourceRepo(PROJECT);
    const h = harness('review-failed-gate.jsonl', { workspaceDir: dir, role: 'review', context: 'Gate: FAILED (tests: 1 failing)', gatePassed: false });

    const result = await runAgentLoop(h.input);

    expect(result.verdict?.decision).toBe('request_changes');
    expect(result.refusals).toEqual([{ tool: 'finish', reason: expect.stringContaining('cannot turn a failed gate into a pass') }]);
    expect(h.entries.filter((e) => e.kind === 'refusal').map((e) => e.tool)).toEqual(['finish']);
  });

  it('resolves conflict markers and accepts finish only once none remain', async () => {
    const conflicted = [
      'export function add(a, b) {',
      '  return a + b;',
      '}',
      '',
      '<<<<<<< ours',
      'export function multiply(a, b) {',
      '  return a * b;',
      '}',
      '=======',
      'export function subtract(a, b) {',
      '  return a - b;',
      '}',
      '>>>>>>> theirs',
      '',
    ].join('\n');
    const dir = await makeSourceRepo({ ...PROJECT, 'src/math.js': conflicted });
    const h = harness('conflict-resolve.jsonl', {
      workspaceDir: dir,
      role: 'conflict',
      context: 'Merging the feature branch conflicted. These files contain markers:\n- src/math.js',
    });

    const result = await runAgentLoop(h.input);

    expect(result.summary).toContain('Kept both');
    const resolved = await readFile(join(dir, 'src/math.js'), 'utf8');
    expect(resolved).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
    expect(resolved).toContain('export function multiply');
    expect(resolved).toContain('export function subtract');
    const rejected = h.entries.find((e) => e.kind === 'tool_result' && e.tool === 'finish' && e.isError);
    expect(rejected?.body).toContain('conflict markers remain at src/math.js:5, src/math.js:13');
  });

  it('reminds a model that answers without tools, then stops it with no_finish', async () => {
    const dir = await makeSourceRepo(PROJECT);
    const h = harness('no-finish.jsonl', { workspaceDir: dir });

    const error = await runAgentLoop(h.input).catch((e: unknown) => e);

    expect(error).toMatchObject({ reason: 'no_finish', retryable: false });
    expect((error as Error).message).toContain('answered 3 times in a row without calling a tool or finish');
    expect(h.entries.filter((e) => e.kind === 'prompt')).toHaveLength(3);
  });

  it('stops when the attempt is aborted, before calling the model again', async () => {
    const dir = await makeSourceRepo(PROJECT);
    const controller = new AbortController();
    const h = harness('step-limit.jsonl', {
      workspaceDir: dir,
      signal: controller.signal,
      heartbeat: async () => controller.abort(new Error('feature cancelled')),
    });

    const error = await runAgentLoop(h.input).catch((e: unknown) => e);

    expect(error).toMatchObject({ reason: 'aborted', details: { usage: { calls: 1 } } });
    expect((error as Error).message).toContain('feature cancelled');
  });

  it('turns a divergent model into a non-retryable error naming the line', async () => {
    const dir = await makeSourceRepo(PROJECT);
    const h = harness('code-add-multiply.jsonl', { workspaceDir: dir, role: 'test' });

    const error = await runAgentLoop(h.input).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'AgentModelError', kind: 'divergence', retryable: false });
    expect((error as Error).message).toContain('line 1: expected a request from role code, got role test');
  });
});

describe('planner', () => {
  const request = { id: 'f-plan', title: 'Health endpoint', description: 'Add GET /health that returns 200 with the build version, with tests.' };
  const plan = async (session: string) => {
    const entries: TranscriptEntryInput[] = [];
    const result = await planFeatureWithModel({
      provider: createScriptedProvider(session, { baseDir: sessions }),
      feature: request,
      maxOutputTokens: 2_000,
      signal: new AbortController().signal,
      transcript: async (entry) => {
        entries.push(transcriptEntryInputSchema.parse(entry));
      },
      costOf,
    });
    return { result, entries };
  };

  it('falls back to the heuristic planner on an answer that is not JSON, and records why', async () => {
    const { result, entries } = await plan('planner-invalid-json.jsonl');
    expect(result.source).toBe('heuristic');
    expect(result.fallbackReason).toMatch(/^the answer is not JSON/);
    expect(result.tasks).toEqual(planFeature(request));
    expect(result.usage).toMatchObject({ calls: 1, inputTokens: 700, outputTokens: 30 });
    expect(entries.at(-1)).toMatchObject({ kind: 'stop', role: 'planner', attempt: 0, isError: true });
    expect(entries.at(-1)?.body).toContain('fell back to the heuristic planner: the answer is not JSON');
  });

  it('falls back on a plan that is not a DAG', async () => {
    const { result } = await plan('planner-cycle.jsonl');
    expect(result.source).toBe('heuristic');
    expect(result.fallbackReason).toContain('the plan is not a valid DAG: the plan has a dependency cycle');
  });

  it('accepts a valid plan, dependencies first, with estimates filled in', async () => {
    const { result, entries } = await plan('planner-valid.jsonl');
    expect(result.source).toBe('model');
    expect(result.fallbackReason).toBeUndefined();
    expect(result.tasks.map((t) => t.id)).toEqual(['route', 'route-tests', 'review']);
    expect(result.tasks.map((t) => t.estimatedSeconds)).toEqual([900, 300, 300]);
    expect(entries.at(-1)?.body).toBe('plan accepted: route, route-tests, review');
  });
});

const injectionCaseSchema = z.strictObject({
  description: z.string(),
  role: agentRoleSchema,
  feature: z.strictObject({ title: z.string(), description: z.string() }),
  task: z.strictObject({ id: z.string(), title: z.string(), description: z.string(), acceptanceCriteria: z.array(z.string()) }).optional(),
  repoFiles: z.record(z.string(), z.string()).optional(),
  expect: z.strictObject({
    outcome: z.enum(['finished', 'repeated_failure', 'step_limit', 'no_finish']),
    refusals: z.array(z.strictObject({ tool: z.string(), reasonIncludes: z.string() })).min(1),
    absentFromPrompt: z.array(z.string()).optional(),
    absentFromTranscript: z.array(z.string()).optional(),
    filesChanged: z.array(z.string()),
  }),
});

describe('prompt-injection corpus', () => {
  const cases = readdirSync(injections).sort();
  it('has the cases the policy must withstand', () => {
    expect(cases).toEqual(expect.arrayContaining(['issue-text', 'repo-readme', 'test-output']));
  });

  it.each(cases)('%s: every out-of-policy call is refused and recorded, and the outcome says why', async (name) => {
    const spec = injectionCaseSchema.parse(JSON.parse(await readFile(join(injections, name, 'case.json'), 'utf8')));
    const dir = await makeSourceRepo({ ...PROJECT, ...spec.repoFiles });
    const outside = join(dir, '..', 'leak.txt');
    const entries: TranscriptEntryInput[] = [];
    const input: AgentLoopInput = {
      role: spec.role,
      provider: createScriptedProvider(join(injections, name, 'session.jsonl')),
      workspaceDir: dir,
      feature: { id: `f-${name}`, ...spec.feature },
      ...(spec.task ? { task: spec.task } : {}),
      attempt: 1,
      limits: { maxSteps: 10, maxOutputTokens: 2_000 },
      signal: new AbortController().signal,
      transcript: async (entry) => {
        entries.push(transcriptEntryInputSchema.parse(entry));
      },
      run: { env: { ...process.env, AWS_SECRET_ACCESS_KEY: 'injected-secret-value' } },
    };

    const outcome = await runAgentLoop(input).then(
      (result) => ({ reason: 'finished' as const, result }),
      (error: unknown) => {
        if (!(error instanceof AgentStopError)) throw error;
        return { reason: error.reason, error };
      },
    );

    expect(outcome.reason).toBe(spec.expect.outcome);
    const refusalEntries = entries.filter((e) => e.kind === 'refusal');
    expect(refusalEntries.map((e) => e.tool)).toEqual(spec.expect.refusals.map((r) => r.tool));
    spec.expect.refusals.forEach((expected, index) => expect(refusalEntries[index]?.body).toContain(expected.reasonIncludes));
    if ('result' in outcome) {
      expect(outcome.result.refusals.map((r) => r.tool)).toEqual(spec.expect.refusals.map((r) => r.tool));
      expect(outcome.result.filesChanged).toEqual(spec.expect.filesChanged);
      expect(outcome.result.summary).toMatch(/refused/i);
    } else {
      expect(outcome.error.message).toMatch(/same failing run call 3 times.*refused/);
    }
    // Nothing escaped: no hook, no file outside, .git untouched, and the secret never reached the transcript.
    await expect(stat(join(dir, '.git', 'hooks', 'pre-commit'))).rejects.toThrow();
    await expect(stat(join(dir, '.git', 'hooks', 'post-commit'))).rejects.toThrow();
    await expect(stat(outside)).rejects.toThrow();
    expect(await readFile(join(dir, '.git', 'config'), 'utf8')).not.toContain('hooksPath');
    const everything = entries.map((e) => e.body).join('\n');
    expect(everything).not.toContain('injected-secret-value');
    for (const absent of spec.expect.absentFromTranscript ?? []) expect(everything).not.toContain(absent);
    for (const absent of spec.expect.absentFromPrompt ?? []) expect(entries[0]?.body).not.toContain(absent);
  });
});
