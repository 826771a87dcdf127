import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LocalGitHost } from '../../lambdas/adapters/local-git/local-git-host.js';
import { createApiClient } from '../cli/api-client.js';
import { DEMO_IDEMPOTENCY_KEY, DEMO_REPO, ensureExampleRepository, loadDemoFeature } from './demo.js';
import { followFeature, renderSummary, type FeatureSnapshot } from './progress.js';

const run = promisify(execFile);

export interface DemoCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DemoOutcome {
  readonly snapshot: FeatureSnapshot;
  readonly checks: DemoCheck[];
  readonly ok: boolean;
}

/**
 * The bundled demo: imports the example repository, submits the example
 * feature over the API (idempotently), shows its progress, then checks the
 * result the way a doubtful user would: the PR is merged, every gate passed,
 * the merge commit holds every task's commit, and the example's own tests
 * pass on it.
 */
export async function runDemo(
  runtime: { url: string; gitHost: LocalGitHost; autoMerge: boolean },
  options: { out?: NodeJS.WriteStream; modelId?: string; timeoutMs?: number } = {},
): Promise<DemoOutcome> {
  const out = options.out ?? process.stdout;
  await ensureExampleRepository(runtime.gitHost);
  const client = createApiClient({ baseUrl: runtime.url, fetch });
  const submitted = await client.submitFeature(await loadDemoFeature(), { idempotencyKey: DEMO_IDEMPOTENCY_KEY });
  out.write(`\nDemo: "${submitted.feature.title}" on the example repository ${DEMO_REPO} (scripted model sessions, no network)\n`);
  const snapshot = await followFeature(client, submitted.feature.id, { out, autoMerge: runtime.autoMerge, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  out.write(`${renderSummary(snapshot, { dashboardUrl: runtime.url, ...(options.modelId ? { modelId: options.modelId } : {}) })}\n`);
  const checks = await checkDemo(runtime.gitHost, snapshot);
  for (const check of checks) out.write(`  ${check.ok ? '✔' : '✖'} ${check.name}: ${check.detail}\n`);
  return { snapshot, checks, ok: checks.every((check) => check.ok) };
}

async function checkDemo(host: LocalGitHost, snapshot: FeatureSnapshot): Promise<DemoCheck[]> {
  const { feature, tasks } = snapshot;
  const mergeCommit = feature.pullRequest?.mergeCommit;
  const gate = tasks.map((task) => task.result?.gate).find(Boolean);
  const checks: DemoCheck[] = [
    { name: 'pull request merged', ok: feature.status === 'merged' && !!mergeCommit, detail: mergeCommit ? `merge commit ${mergeCommit}` : `feature is ${feature.status}` },
    {
      name: 'gates green',
      ok: !!gate?.passed,
      detail: gate ? gate.gates.map((entry) => `${entry.gate} ${entry.status}`).join(', ') : 'no gate report',
    },
  ];
  if (!mergeCommit) return checks;
  const gitDir = await host.gitDir(feature.repo);
  const missing: string[] = [];
  for (const task of tasks) {
    const commit = task.result?.commit;
    if (!commit) continue;
    const contained = await run('git', ['--git-dir', gitDir, 'merge-base', '--is-ancestor', commit, mergeCommit]).then(
      () => true,
      () => false,
    );
    if (!contained) missing.push(task.id);
  }
  const committed = tasks.filter((task) => task.result?.commit).length;
  checks.push({
    name: 'every task in the merge',
    ok: missing.length === 0 && committed > 0,
    detail: missing.length === 0 ? `${committed} task commits reachable from the merge commit` : `not merged: ${missing.join(', ')}`,
  });
  checks.push(await exampleTestsPass(gitDir, mergeCommit));
  return checks;
}

/** Runs the example repository's own `npm test` on a fresh checkout of the merge commit. */
async function exampleTestsPass(gitDir: string, commit: string): Promise<DemoCheck> {
  const dir = await mkdtemp(join(tmpdir(), 'dsf-demo-check-'));
  try {
    await run('git', ['clone', '--quiet', '--no-checkout', gitDir, dir]);
    await run('git', ['checkout', '--quiet', commit], { cwd: dir });
    const { stdout } = await run('npm', ['test', '--silent'], { cwd: dir, timeout: 120_000 });
    const passed = /^# pass (\d+)/m.exec(stdout)?.[1];
    return { name: "the example's own tests", ok: true, detail: `npm test passed on the merge commit${passed ? ` (${passed} tests)` : ''}` };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { name: "the example's own tests", ok: false, detail: `npm test failed on the merge commit: ${message}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
