import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { startTestRuntime, submitFeature } from '../support/runtime.js';
import { artifactPath, launchChromium, type Browser } from './chromium.js';

const DASHBOARD_ROOT = fileURLToPath(new URL('../../dashboard/', import.meta.url));
const BROWSER_TEST_TIMEOUT = 120_000;

/**
 * Ten tasks whose sleep agents finish at different times, one of which fails: a few
 * seconds in, the graph holds succeeded, failed, skipped, running and waiting tasks.
 */
const mixedPlan = [
  { id: 'spec', title: 'Write the API spec', kind: 'docs', acceptanceCriteria: ['OpenAPI document covers every route'], sleep: { seconds: 1.5 } },
  { id: 'store', title: 'Token-bucket store', kind: 'db', dependsOn: ['spec'], acceptanceCriteria: ['Buckets refill atomically'], sleep: { seconds: 3 } },
  { id: 'config', title: 'Per-plan limits in config', kind: 'config', dependsOn: ['spec'], acceptanceCriteria: ['Limits load at start'], sleep: { seconds: 1, outcome: 'fail' } },
  { id: 'ui', title: 'Usage panel in the admin UI', kind: 'ui', dependsOn: ['spec'], acceptanceCriteria: ['Shows usage per API key'], sleep: { seconds: 7 } },
  { id: 'api', title: 'Rate-limit middleware', kind: 'api', dependsOn: ['store'], acceptanceCriteria: ['Over-limit requests get 429', 'RateLimit headers on every answer'], sleep: { seconds: 5 } },
  { id: 'migrations', title: 'Backfill existing keys', kind: 'db', dependsOn: ['store'], acceptanceCriteria: ['Every key has a bucket'], sleep: { seconds: 2.5 } },
  { id: 'docs', title: 'Document the limits', kind: 'docs', dependsOn: ['config'], acceptanceCriteria: ['Docs list every limit'], sleep: { seconds: 1 } },
  { id: 'api-tests', title: 'Unit tests for the middleware', agentType: 'test', kind: 'tests', dependsOn: ['api'], acceptanceCriteria: ['Refill edge cases covered'], sleep: { seconds: 2 } },
  { id: 'e2e', title: 'Load test at twice the peak', agentType: 'test', kind: 'tests', dependsOn: ['api', 'ui'], acceptanceCriteria: ['p99 adds under 20 ms'], sleep: { seconds: 2 } },
  { id: 'review', title: 'Review the whole change', agentType: 'review', kind: 'review', dependsOn: ['api-tests', 'e2e', 'docs', 'migrations'], acceptanceCriteria: ['Every criterion holds'], sleep: { seconds: 1 } },
];

describe('dashboard in a real browser', () => {
  let runtime: LocalRuntime;
  let browser: Browser;
  let dist: string;
  const pageErrors: string[] = [];
  let mixedFeatureId = '';
  let cancelledFeatureId = '';

  beforeAll(async () => {
    // Build the UI from the current sources into a private folder, so this suite never
    // races another over dashboard/dist and never tests a stale build.
    dist = mkdtempSync(join(tmpdir(), 'dsf-dashboard-'));
    await build({ root: DASHBOARD_ROOT, logLevel: 'warn', build: { outDir: dist, emptyOutDir: true, sourcemap: false } });
    // Sleep tasks here run for seconds: an attempt and its message's visibility must outlast
    // the longest (7 s), yet a message whose attempt failed should come back soon.
    runtime = await startTestRuntime({ attemptTimeoutMs: 12_000, visibilityTimeoutSeconds: 15, dashboard: { staticDir: dist, pollEveryMs: 100 } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    rmSync(dist, { recursive: true, force: true });
  });

  afterEach(async () => {
    for (const page of browser.context.pages()) await page.close();
    const errors = pageErrors.splice(0);
    expect(errors, 'errors in the page').toEqual([]);
  });

  async function open(path: string, options: { viewport?: { width: number; height: number } } = {}): Promise<Page> {
    const page = await browser.context.newPage();
    if (options.viewport) await page.setViewportSize(options.viewport);
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // A 404 for the event stream is the polling fallback at work, not a fault.
      if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) pageErrors.push(`console: ${message.text()}`);
      if (message.type() === 'warning' && /Content.Security.Policy|Refused to/i.test(message.text())) pageErrors.push(`console: ${message.text()}`);
    });
    await page.goto(`${runtime.url}${path}`);
    return page;
  }

  /** What the API says about a feature's tasks: the context a timed-out wait needs. */
  async function taskReport(featureId: string): Promise<string> {
    const response = await fetch(`${runtime.url}/features/${featureId}/tasks`);
    const { items } = (await response.json()) as { items: { id: string; status: string; attempts: number; statusReason?: string }[] };
    return items.map((t) => `${t.id}=${t.status}#${t.attempts}${t.statusReason ? ` (${t.statusReason})` : ''}`).join(', ');
  }

  /** Polls until `probe` holds; on timeout, fails with the feature's task states from the API. */
  async function until(featureId: string, what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; tasks: ${await taskReport(featureId)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  interface Focus {
    readonly tag: string;
    /** The accessible label, else the text. */
    readonly name: string;
    readonly id: string;
    readonly testId: string | null;
    readonly taskId: string | null;
  }

  /** What has the keyboard focus (run in the page; a string, as this project's types have no DOM). */
  const focused = (page: Page) =>
    page.evaluate<Focus>(`(() => {
      const el = document.activeElement;
      return {
        tag: el.tagName.toLowerCase(),
        name: (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40),
        id: el.id,
        testId: el.getAttribute('data-testid'),
        taskId: el.getAttribute('data-task-id'),
      };
    })()`);

  const statuses = (page: Page) => page.$$eval('[data-testid="dag-node"]', (nodes) => nodes.map((node) => node.getAttribute('data-status') ?? ''));

  it(
    'submits a feature through the form, draws its DAG and shows statuses change live',
    async () => {
      const page = await open('/#/new');
      await expect.poll(() => page.locator('h1').textContent()).toBe('New feature');
      await page.getByLabel('Title', { exact: true }).fill('Rate limiting for the public API');
      await page.getByLabel('Description', { exact: true }).fill('Limit each API key to its plan’s request rate and answer 429 with RateLimit headers when over.');
      await page.getByLabel('Tasks (JSON)', { exact: true }).fill(JSON.stringify(mixedPlan, null, 2));
      // The form previews the plan before it is sent.
      await expect.poll(() => page.locator('[data-testid="dag-node"]').count()).toBe(mixedPlan.length);
      await page.screenshot({ path: artifactPath('new-feature-form.png'), fullPage: true });

      await page.getByRole('button', { name: 'Submit feature' }).click();
      await page.waitForURL(/#\/features\/feat_[0-9A-Z]{26}$/);
      mixedFeatureId = /feat_[0-9A-Z]{26}/.exec(page.url())![0];
      await page.evaluate('window.dsfNoReload = true');

      await expect.poll(() => page.locator('[data-testid="dag-node"]').count()).toBe(mixedPlan.length);
      await expect.poll(() => page.locator('[data-testid="task-graph"] path.dag-edge').count()).toBe(mixedPlan.reduce((n, t) => n + (t.dependsOn?.length ?? 0), 0));
      await expect.poll(() => page.getAttribute('[data-testid="live-mode"]', 'data-mode')).toBe('live');
      await page.locator('[data-task-id="api"]').click();
      await expect.poll(() => page.locator('[data-testid="task-details"] h2').textContent()).toBe('Rate-limit middleware');

      // Mid-run: every kind of state at once, reached without a reload.
      const mixed = async () => {
        const now = await statuses(page);
        const count = (status: string) => now.filter((s) => s === status).length;
        return count('succeeded') >= 2 && count('failed') >= 1 && count('running') >= 2 && count('waiting') >= 1 && count('skipped') >= 1;
      };
      await until(mixedFeatureId, 'a mix of states in the graph', mixed);
      await page.screenshot({ path: artifactPath('feature-page-mixed.png'), fullPage: true });
      // A moment later the running tasks show how long they have been at it: a better picture,
      // taken only if the mix is still there (a slow machine may have moved on).
      await page.waitForTimeout(1200);
      if (await mixed()) await page.screenshot({ path: artifactPath('feature-page-mixed.png'), fullPage: true });
      await page.locator('[data-testid="task-graph"]').screenshot({ path: artifactPath('feature-dag-mixed.png') });
      expect(await page.locator('[data-testid="activity"] li').count()).toBeGreaterThan(10);
      expect(await page.locator('[data-testid="task-graph"] .dag-node.critical').count()).toBeGreaterThanOrEqual(3);

      // The failed task fails the feature once the others end; the page follows on its own.
      await until(mixedFeatureId, 'the feature to fail', async () => (await page.getAttribute('[data-testid="feature-status"]', 'data-status')) === 'failed', 45_000);
      await expect.poll(async () => (await statuses(page)).every((s) => ['succeeded', 'failed', 'skipped'].includes(s))).toBe(true);
      expect(await page.locator('[data-testid="gate-result"]').textContent()).toContain('Not run');
      expect(await page.locator('[data-testid="feature-status"]').textContent()).toContain('Failed');
      expect(await page.evaluate<boolean>('window.dsfNoReload === true')).toBe(true);
      await page.screenshot({ path: artifactPath('feature-page-finished.png'), fullPage: true });
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'cancels a running feature with the button, opened from its direct URL',
    async () => {
      cancelledFeatureId = await submitFeature(runtime, {
        title: 'Migrate billing to the new ledger',
        description: 'Long-running work to cancel from the dashboard.',
        tasks: [
          { id: 'schema', title: 'Ledger schema', sleep: { seconds: 30 } },
          { id: 'writer', title: 'Dual-write payments', dependsOn: ['schema'], sleep: { seconds: 30 } },
          { id: 'reader', title: 'Read from the ledger', dependsOn: ['schema'], sleep: { seconds: 30 } },
          { id: 'cutover', title: 'Cut over', dependsOn: ['writer', 'reader'], sleep: { seconds: 30 } },
        ],
      });
      // A browser navigating to the API path lands on the feature's view.
      const page = await open(`/features/${cancelledFeatureId}`);
      expect(new URL(page.url()).hash).toBe(`#/features/${cancelledFeatureId}`);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Migrate billing to the new ledger');
      await until(cancelledFeatureId, 'the first task to run', async () => (await page.getAttribute('[data-task-id="schema"]', 'data-status')) === 'running');

      await page.getByRole('button', { name: 'Cancel feature' }).click();
      const confirm = page.getByRole('button', { name: 'Yes, cancel it' });
      await expect.poll(() => confirm.evaluate((button) => button.matches(':focus'))).toBe(true);
      await confirm.click();

      await expect.poll(() => page.getAttribute('[data-testid="feature-status"]', 'data-status')).toBe('cancelled');
      await expect.poll(async () => (await statuses(page)).every((s) => s === 'cancelled')).toBe(true);
      expect(await page.getByRole('button', { name: 'Cancel feature' }).count()).toBe(0);
      // The stream tails the log every 250 ms, so the events can arrive a moment after the status.
      await expect.poll(() => page.locator('[data-testid="activity"]').textContent()).toContain('Cancelled');
      await page.screenshot({ path: artifactPath('feature-page-cancelled.png'), fullPage: true });
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'lists features and filters them by status, also from a direct URL',
    async () => {
      const page = await open('/');
      const rows = page.locator('[data-testid="feature-table"] tbody tr');
      await expect.poll(() => rows.count()).toBe(2);
      await page.screenshot({ path: artifactPath('features-list.png'), fullPage: true });

      await page.getByLabel('Status').selectOption('cancelled');
      await expect.poll(() => rows.count()).toBe(1);
      expect(await rows.first().getAttribute('data-feature-id')).toBe(cancelledFeatureId);
      expect(new URL(page.url()).hash).toBe('#/?status=cancelled');
      expect(await page.locator('[data-testid="list-count"]').textContent()).toBe('Showing 1 of 2');

      await page.goto(`${runtime.url}/#/?status=failed`);
      await page.reload();
      await expect.poll(() => rows.count()).toBe(1);
      expect(await rows.first().getAttribute('data-feature-id')).toBe(mixedFeatureId);
      expect(await page.getByLabel('Status').inputValue()).toBe('failed');

      await page.getByLabel('Status').selectOption('merged');
      await expect.poll(() => page.locator('.empty h3').textContent()).toBe('No merged features');
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'falls back to polling the events endpoint where there is no event stream',
    async () => {
      const id = await submitFeature(runtime, {
        title: 'Add a health endpoint',
        description: 'GET /health returns 200.',
        tasks: [
          { id: 'route', title: 'Add GET /health', sleep: { seconds: 1 } },
          { id: 'tests', title: 'Test GET /health', agentType: 'test', dependsOn: ['route'], sleep: { seconds: 1 } },
        ],
      });
      const page = await browser.context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
      // As on the AWS HTTP API: the stream's path does not exist.
      await page.route('**/features/*/stream', (route) => route.fulfill({ status: 404, contentType: 'application/problem+json', body: '{"status":404}' }));
      await page.goto(`${runtime.url}/#/features/${id}`);
      await expect.poll(() => page.getAttribute('[data-testid="live-mode"]', 'data-mode')).toBe('polling');
      await until(id, 'the pull request to open', async () => (await page.getAttribute('[data-testid="feature-status"]', 'data-status')) === 'pr_open');
      expect(await statuses(page)).toEqual(['succeeded', 'succeeded']);
      expect(await page.locator('[data-testid="gate-result"]').textContent()).toContain('Passed');
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'opens every view from a direct URL',
    async () => {
      const metrics = await open('/metrics');
      expect(new URL(metrics.url()).hash).toBe('#/metrics');
      await expect.poll(() => metrics.locator('[data-testid="metrics"]').count(), { timeout: 15_000 }).toBe(1);
      expect(await metrics.locator('h1').textContent()).toBe('Metrics');
      expect(await metrics.locator('[data-testid="coverage-empty"]').textContent()).toContain('No coverage data yet');
      expect(await metrics.locator('[data-testid="cost-empty"]').textContent()).toContain('No cost data yet');
      // The health feature shipped, so there is a lead time to chart.
      expect(await metrics.locator('svg.chart[role="img"]').count()).toBeGreaterThanOrEqual(3);
      await metrics.screenshot({ path: artifactPath('metrics.png'), fullPage: true });

      const form = await open('/new');
      await expect.poll(() => form.locator('h1').textContent()).toBe('New feature');
      const missing = await open('/#/features/feat_01ARZ3NDEKTSV4RRFFQ69G5FAV');
      await expect.poll(() => missing.locator('h1').textContent()).toBe('Feature not found');
      const nowhere = await open('/#/no/such/view');
      await expect.poll(() => nowhere.locator('h1').textContent()).toBe('Page not found');
      const feature = await open(`/#/features/${mixedFeatureId}?task=config`);
      await expect.poll(() => feature.locator('[data-testid="task-details"] h2').textContent()).toBe('Per-plan limits in config');
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'reaches every control from the keyboard',
    async () => {
      const page = await open('/');
      await expect.poll(() => page.locator('[data-testid="feature-table"] tbody tr').count()).toBeGreaterThan(0);
      const reached: string[] = [];
      for (let i = 0; i < 14; i++) {
        await page.keyboard.press('Tab');
        const focus = await focused(page);
        reached.push(`${focus.tag}:${focus.name}`);
      }
      expect(reached[0], reached.join(' | ')).toBe('a:Skip to content');
      expect(reached, reached.join(' | ')).toEqual(expect.arrayContaining(['a:Features', 'a:Metrics', 'a:New feature', 'a:+ New feature', 'a:Rate limiting for the public API']));
      expect(reached.some((entry) => entry.startsWith('select:'))).toBe(true);

      // Enter follows the link; focus moves to the new view's heading.
      await page.locator('a', { hasText: 'Rate limiting for the public API' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/#\/features\//);
      await expect.poll(async () => (await focused(page)).id).toBe('page-title');

      // Tab on into the graph, then follow it with the arrow keys and pick a task with Enter.
      const path: Focus[] = [];
      for (let i = 0; i < 40 && path.at(-1)?.testId !== 'dag-node'; i++) {
        await page.keyboard.press('Tab');
        path.push(await focused(page));
      }
      expect(path.at(-1)?.testId, path.map((f) => `${f.tag}:${f.name}`).join(' | ')).toBe('dag-node');
      expect(path.at(-1)?.taskId).toBe('spec');
      await page.keyboard.press('ArrowRight');
      const next = (await focused(page)).taskId;
      expect(['store', 'config', 'ui']).toContain(next);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator('[data-testid="task-details"] .mono').first().textContent()).toBe(next);
      expect(await page.getAttribute(`[data-task-id="${next}"]`, 'aria-pressed')).toBe('true');
      await page.screenshot({ path: artifactPath('keyboard-focus.png') });
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'fits a narrow window: the page never scrolls sideways, the graph scrolls in its own box',
    async () => {
      const views: [string, string][] = [
        ['/', '[data-testid="feature-table"] tbody tr'],
        [`/#/features/${mixedFeatureId}`, '[data-testid="dag-node"]'],
        ['/#/new', '#field-title'],
        ['/#/metrics', '[data-testid="metrics"]'],
      ];
      for (const [path, ready] of views) {
        const page = await open(path, { viewport: { width: 360, height: 780 } });
        await expect.poll(() => page.locator(ready).count(), { timeout: 15_000 }).toBeGreaterThan(0);
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        expect(overflow, `horizontal overflow on ${path}`).toBeLessThanOrEqual(0);
        if (path.includes('features/')) {
          await page.screenshot({ path: artifactPath('feature-page-narrow.png'), fullPage: true });
          await page.locator('[data-testid="task-graph"]').scrollIntoViewIfNeeded();
          await page.screenshot({ path: artifactPath('feature-page-narrow-graph.png') });
        }
        await page.close();
      }
    },
    BROWSER_TEST_TIMEOUT,
  );
});
