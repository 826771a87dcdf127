import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { runDemo, type DemoOutcome } from '../../local/demo/run-demo.js';
import { DEMO_REPO } from '../../local/demo/demo.js';
import { startTestRuntime } from '../support/runtime.js';

/**
 * The bundled demo through the real runtime, in process: the scripted sessions
 * drive the real agent loop, workspaces, integration (with a real conflict),
 * gates and pull request. What a user sees is checked by the demo itself; this
 * test looks underneath, at what the factory recorded.
 */
let runtime: LocalRuntime;
let dataDir: string;
let outcome: DemoOutcome;
let printed = '';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dsf-demo-test-'));
  // Review runs the gates (the example's tests twice, eslint, tsc): give attempts room on a busy CI machine.
  // (and a visibility timeout longer than an attempt, as on AWS, so no message is redelivered mid-task).
  runtime = await startTestRuntime({ dataDir, autoMerge: true, attemptTimeoutMs: 240_000, visibilityTimeoutSeconds: 300 });
  const out = { isTTY: false, write: (text: string) => ((printed += text), true) } as unknown as NodeJS.WriteStream;
  outcome = await runDemo(runtime, { out, timeoutMs: 240_000 });
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the bundled demo feature', () => {
  it('ends merged, with every check of the demo passing', () => {

    expect(outcome.checks.filter((check) => !check.ok)).toEqual([]);
    expect(outcome.checks.map((check) => check.name)).toEqual(['pull request merged', 'gates green', 'every task in the merge', "the example's own tests"]);
    expect(outcome.snapshot.feature.status).toBe('merged');
    expect(printed).toContain(`dashboard   ${runtime.url}/#/features/${outcome.snapshot.feature.id}`);
  });

  it('records a commit, tokens and cost on every model-driven task', () => {
    const worked = outcome.snapshot.tasks.filter((task) => task.agentType !== 'review');
    expect(worked).toHaveLength(6);
    for (const task of worked) {
      expect(task.result?.commit, task.id).toMatch(/^[0-9a-f]{40}$/);
      expect(task.result?.usage?.calls, task.id).toBeGreaterThanOrEqual(3);
      expect(task.result?.usage?.costUsd, task.id).toBeGreaterThan(0);
    }
  });

  it('met a real conflict between the two docs tasks and had the conflict agent resolve it', () => {
    const resolved = outcome.snapshot.tasks.filter((task) => task.result?.conflictsResolved?.length);
    expect(resolved.map((task) => task.result!.conflictsResolved)).toEqual([['CHANGELOG.md']]);
    expect(['bookshelf-docs-api', 'bookshelf-docs-store']).toContain(resolved[0]!.id);
    expect(outcome.snapshot.metrics.maxParallelism).toBeGreaterThanOrEqual(2);
  });

  it('has the review record a passing gate report and an approval', () => {
    const review = outcome.snapshot.tasks.find((task) => task.id === 'bookshelf-review')!;
    expect(review.result?.gate?.passed).toBe(true);
    expect(review.result?.gate?.gates.map((gate) => gate.gate)).toEqual(
      expect.arrayContaining(['tests', 'coverage', 'diff-coverage', 'lint', 'typecheck', 'sast', 'secrets', 'diff-size']),
    );
    expect(review.result?.review?.decision).toBe('approve');
  });

  it('opened the pull request with the tasks, the resolved conflict, the gate report and the cost, and merged both changelog entries', async () => {
    const number = outcome.snapshot.feature.pullRequest!.number;
    const pr = await runtime.gitHost.getPullRequest(DEMO_REPO, number);
    expect(pr.status).toBe('merged');
    expect(pr.body).toContain('## Tasks');
    expect(pr.body).toContain('- [x] Given no ratings, when a book');
    expect(pr.body).toContain('conflicts resolved: `CHANGELOG.md`');
    expect(pr.body).toContain('## Cost');
    const changelog = await runtime.gitHost.readFile(DEMO_REPO, 'main', 'CHANGELOG.md');
    expect(changelog).toContain('- Ratings API:');
    expect(changelog).toContain('- Ratings are stored in memory');
    expect(changelog).not.toContain('<<<<<<<');
  });

  it('kept a transcript of every agent, the conflict agent included', async () => {
    const { entries } = await runtime.transcripts.list({ featureId: outcome.snapshot.feature.id, limit: 1_000 });
    const kinds = new Set(entries.map((entry) => entry.kind));
    expect([...kinds]).toEqual(expect.arrayContaining(['prompt', 'assistant', 'tool_call', 'tool_result', 'usage', 'stop']));
    const roles = new Set(entries.map((entry) => entry.role));
    expect([...roles].sort()).toEqual(['code', 'conflict', 'review', 'test']);
    expect(entries.some((entry) => entry.kind === 'tool_call' && entry.tool === 'run')).toBe(true);
  });
});
