import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../lambdas/core/task.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { runDemo, type DemoOutcome } from '../../local/demo/run-demo.js';
import { startTestRuntime, submitFeature, waitUntil } from '../support/runtime.js';
import { artifactPath, launchChromium, type Browser } from './chromium.js';

const DASHBOARD_ROOT = fileURLToPath(new URL('../../dashboard/', import.meta.url));
const BROWSER_TEST_TIMEOUT = 120_000;

/**
 * What the factory records of real agent work, as a user sees it: the bundled demo runs in
 * process (scripted model sessions driving the real agent loop, integration with a real
 * conflict, gates, pull request and merge), then the browser opens its feature page.
 */
describe('dashboard: the agents’ work', () => {
  let runtime: LocalRuntime;
  let browser: Browser;
  let dist: string;
  let dataDir: string;
  let demo: DemoOutcome;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'dsf-dashboard-'));
    dataDir = mkdtempSync(join(tmpdir(), 'dsf-dashboard-work-'));
    await build({ root: DASHBOARD_ROOT, logLevel: 'warn', build: { outDir: dist, emptyOutDir: true, sourcemap: false } });
    // Review runs the gates (the example's tests twice, eslint, tsc): attempts get room on a busy machine,
    // and messages stay invisible longer than an attempt, so none is redelivered mid-task.
    runtime = await startTestRuntime({ dataDir, autoMerge: true, attemptTimeoutMs: 240_000, visibilityTimeoutSeconds: 300, dashboard: { staticDir: dist, pollEveryMs: 100 } });
    const out = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
    demo = await runDemo(runtime, { out, timeoutMs: 240_000 });
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    rmSync(dist, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  afterEach(async () => {
    for (const page of browser.context.pages()) await page.close();
    const errors = pageErrors.splice(0);
    expect(errors, 'errors in the page').toEqual([]);
  });

  async function open(path: string, viewport = { width: 1440, height: 900 }): Promise<Page> {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewport);
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) pageErrors.push(`console: ${message.text()}`);
      if (message.type() === 'warning' && /Content.Security.Policy|Refused to/i.test(message.text())) pageErrors.push(`console: ${message.text()}`);
    });
    await page.goto(`${runtime.url}${path}`);
    return page;
  }

  const task = (id: string): Task => demo.snapshot.tasks.find((candidate) => candidate.id === id)!;
  const usd = (value: number) => (value < 1 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`);

  it(
    'shows the pull request, the cost, the gate report, the review decision and the transcript of the demo feature',
    async () => {
      expect(demo.ok, JSON.stringify(demo.checks)).toBe(true);
      const { feature, tasks } = demo.snapshot;
      const review = task('bookshelf-review');
      const coverage = review.result!.gate!.gates.find((gate) => gate.gate === 'coverage')!;
      const totalCost = Math.round(tasks.reduce((sum, t) => sum + (t.result?.usage?.costUsd ?? 0), 0) * 1e6) / 1e6;

      const page = await open(`/#/features/${feature.id}?task=bookshelf-review`);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Let readers rate books');

      // The feature: its pull request, merged, with the merge commit; what the agents cost; the conflict they resolved.
      const pr = page.locator('[data-testid="pull-request"]');
      expect(await pr.textContent()).toBe(`Pull request#${feature.pullRequest!.number} merged`);
      expect(await page.locator('[data-testid="merge-commit"]').textContent()).toBe(feature.pullRequest!.mergeCommit!.slice(0, 7));
      expect(await page.locator('[data-testid="feature-cost"] dd').textContent()).toContain(usd(totalCost));
      expect(await page.locator('[data-testid="usage-result"]').textContent()).toContain(usd(totalCost));
      expect(await page.locator('[data-testid="conflicts-result"]').textContent()).toMatch(/CHANGELOG\.md while integrating bookshelf-docs-(api|store)/);

      // The review task: its usage, the gate report as a table, the decision with its reasons.
      const details = page.locator('[data-testid="task-details"]');
      expect(await details.locator('h2').textContent()).toBe(review.title);
      expect(await details.locator('[data-testid="task-usage"]').textContent()).toContain(`${review.result!.usage!.calls} model calls`);
      expect(await details.locator('[data-testid="task-usage"]').textContent()).toContain(usd(review.result!.usage!.costUsd));
      const coverageRow = details.locator('[data-gate="coverage"]');
      expect(await coverageRow.locator('td').allTextContents()).toEqual(['Passed', `${coverage.value}%`, `${coverage.threshold}%`, coverage.summary]);
      expect(await details.locator('[data-testid="gate-report"] tbody tr').count()).toBe(review.result!.gate!.gates.length);
      expect(await details.locator('[data-gate="setup"] td').first().textContent()).toBe('Skipped');
      const decision = details.locator('[data-testid="review-decision"]');
      expect(await decision.getAttribute('data-decision')).toBe('approve');
      expect(await decision.textContent()).toContain('Approved');
      expect(await decision.locator('li').count()).toBe(review.result!.review!.reasons.length);

      // Its transcript, oldest first, one line per entry.
      const lines = page.locator('[data-testid="transcript"] li');
      await expect.poll(() => lines.count()).toBeGreaterThan(0);
      const { items } = (await (await fetch(`${runtime.url}/features/${feature.id}/transcript?task=bookshelf-review&limit=200`)).json()) as { items: { seq: number; kind: string }[] };
      expect(await lines.count()).toBe(items.length);
      expect(await lines.evaluateAll((nodes) => nodes.map((node) => Number(node.getAttribute('data-seq'))))).toEqual(items.map((item) => item.seq));
      expect(await lines.last().getAttribute('data-kind')).toBe('stop');
      expect(await lines.first().textContent()).toContain('review');
      await page.screenshot({ path: artifactPath('feature-page-demo.png'), fullPage: true });

      // A code task whose integration met the conflict: commit, branch, usage, the resolved file, its own transcript.
      const resolver = tasks.find((t) => t.result?.conflictsResolved?.length)!;
      await page.locator(`[data-task-row="${resolver.id}"] button`).click();
      await expect.poll(() => details.locator('h2').textContent()).toBe(resolver.title);
      expect(await details.locator('[data-testid="task-commit"]').textContent()).toBe(resolver.result!.commit!.slice(0, 7));
      expect(await details.textContent()).toContain(resolver.result!.branch!);
      expect(await details.locator('[data-testid="task-conflicts"]').textContent()).toContain('CHANGELOG.md');
      await expect.poll(() => page.locator('[data-testid="transcript"] li[data-kind="tool_call"]').count()).toBeGreaterThan(0);
      expect(await page.locator('[data-testid="transcript"] .chip').allTextContents()).toEqual(expect.arrayContaining(['code', 'conflict']));
      // A line opens to its body.
      const call = page.locator('[data-testid="transcript"] li[data-kind="tool_call"]').first();
      await call.locator('summary').click();
      expect(await call.locator('pre').isVisible()).toBe(true);
      await page.screenshot({ path: artifactPath('feature-page-demo-conflict.png'), fullPage: true });
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'fits a narrow window with the gate table and the transcript',
    async () => {
      const page = await open(`/#/features/${demo.snapshot.feature.id}?task=bookshelf-review`, { width: 390, height: 844 });
      await expect.poll(() => page.locator('[data-testid="transcript"] li').count()).toBeGreaterThan(0);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(overflow, 'horizontal overflow').toBeLessThanOrEqual(0);
      await page.screenshot({ path: artifactPath('feature-page-demo-narrow.png'), fullPage: true });
      await page.locator('[data-testid="task-details"]').screenshot({ path: artifactPath('feature-page-demo-narrow-review.png') });
      await page.locator('[data-testid="transcript"]').screenshot({ path: artifactPath('feature-page-demo-narrow-transcript.png') });
      await page.locator('#delivery-title').locator('xpath=ancestor::section').screenshot({ path: artifactPath('feature-page-demo-narrow-delivery.png') });
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'follows the transcript of a running task without a reload',
    async () => {
      const id = await submitFeature(runtime, {
        title: 'Follow an agent at work',
        description: 'One long task; its transcript lines are written while the page is open.',
        tasks: [{ id: 'slow', title: 'Slow work', sleep: { seconds: 60 } }],
      });
      await waitUntil(async () => (await runtime.store.getFeatureWithTasks(id))?.tasks[0]?.status === 'running', 15_000, 'the task to run');
      const page = await open(`/#/features/${id}?task=slow`);
      await page.evaluate('window.dsfNoReload = true');
      await expect.poll(() => page.locator('[data-testid="transcript-following"]').count()).toBe(1);
      await expect.poll(() => page.locator('[data-testid="transcript-empty"]').textContent()).toContain('No lines yet');

      const line = { featureId: id, taskId: 'slow', role: 'code', attempt: 1 } as const;
      await runtime.transcripts.append({ ...line, kind: 'assistant', body: 'Reading the server first.' });
      await runtime.transcripts.append({ ...line, kind: 'tool_call', tool: 'read_file', body: '{"path":"src/server.js"}' });
      const lines = page.locator('[data-testid="transcript"] li');
      await expect.poll(() => lines.count(), { timeout: 10_000 }).toBe(2);
      await runtime.transcripts.append({ ...line, kind: 'usage', body: 'claude-sonnet-4-5: 2300 in, 60 out (tool_use)', usage: { inputTokens: 2300, outputTokens: 60, costUsd: 0.0078 } });
      await expect.poll(() => lines.count(), { timeout: 10_000 }).toBe(3);
      expect(await lines.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-kind')))).toEqual(['assistant', 'tool_call', 'usage']);
      expect(await lines.locator('.transcript-tool').allTextContents()).toEqual(['read_file']);
      expect(await lines.locator('summary').allTextContents()).toEqual([
        'Reading the server first.',
        '{"path":"src/server.js"}',
        'claude-sonnet-4-5: 2300 in, 60 out (tool_use) · $0.0078',
      ]);
      expect(await page.evaluate<boolean>('window.dsfNoReload === true')).toBe(true);

      await fetch(`${runtime.url}/features/${id}/cancel`, { method: 'POST' });
      await expect.poll(() => page.locator('[data-testid="transcript-following"]').count()).toBe(0);
      expect(await lines.count()).toBe(3);
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'shows the factory totals on the metrics page',
    async () => {
      const response = await fetch(`${runtime.url}/metrics?limit=100`);
      const { totals } = (await response.json()) as { totals: { usage: { costUsd: number }; gates: { passRate: number | null } } };
      const page = await open('/#/metrics');
      await expect.poll(() => page.locator('[data-testid="metrics"]').count(), { timeout: 15_000 }).toBe(1);
      await expect.poll(() => page.locator('[data-testid="stat-cost"] dd').textContent()).toContain(usd(totals.usage.costUsd));
      expect(await page.locator('[data-testid="stat-gates"] dd').textContent()).toContain(`${Math.round(totals.gates.passRate! * 100)}%`);
      expect(await page.locator('[data-testid="stat-throughput"] dd').textContent()).toMatch(/^\d/);
      expect(await page.locator('[data-testid="stat-lead-time"] dd').textContent()).toMatch(/\d+(\.\d)? s p90/);
      expect(await page.locator('[data-testid="agent-time"]').textContent()).toMatch(/Agents worked .+; tasks waited/);
      expect(await page.locator('[data-testid="cost-chart"] svg.chart').count()).toBe(1);
      expect(await page.locator('[data-testid="coverage-chart"] svg.chart').count()).toBe(1);
      expect(await page.locator('[data-testid="cost-empty"]').count()).toBe(0);
      expect(await page.locator('[data-testid="coverage-empty"]').count()).toBe(0);
      // The numbers behind the cost chart: a header of text then number columns, one row per feature.
      const costData = page.locator('[data-testid="cost-chart"] details.data');
      await costData.locator('summary').click();
      expect(await costData.locator('thead th').allTextContents()).toEqual(['Feature', 'Calls', 'Tokens', 'Cost']);
      expect(await costData.locator('thead th.num').count()).toBe(3);
      const cells = await costData.locator('tbody tr').first().locator('td').allTextContents();
      expect(cells).toEqual(['Let readers rate books', '27', '120.6K', usd(totals.usage.costUsd)]);
      expect(await costData.locator('tbody tr').first().locator('td.num').count()).toBe(3);
      await page.screenshot({ path: artifactPath('metrics-demo.png'), fullPage: true });
    },
    BROWSER_TEST_TIMEOUT,
  );
});
