import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/dynamodb-local.js';
import { exitOf, spawnLocalRuntime } from '../support/processes.js';

const dataDirs: string[] = [];
afterAll(() => dataDirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function outputMatching(output: () => string, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in the output within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What a new user runs: the processes themselves, as `npm run demo` and `npm start` start them. */
describe('the demo, as a user runs it', () => {
  it('`npm run demo` takes the bundled feature to a merged PR with green gates and exits 0', async () => {
    const demo = spawnLocalRuntime({}, 'local/demo/main.ts');
    const exit = await exitOf(demo.child);
    const output = demo.output();
    expect(exit, output).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/Feature feat_\w+: merged after [\d.]+ s/);
    expect(output).toMatch(/conflicts {3}resolved by the conflict agent: CHANGELOG\.md/);
    expect(output).toMatch(/gates {7}all passed: .*✔ tests · ✔ coverage 100% \(min 80%\) · ✔ diff-coverage 100% \(min 90%\)/);
    expect(output).toMatch(/model {7}27 calls, \d+ input \+ \d+ output tokens, \$0\.\d{4}/);
    expect(output).toContain("✔ the example's own tests: npm test passed on the merge commit");
    expect(output).toContain('Demo passed.');
  }, 300_000);

  it('`npm start` on a fresh data directory runs the demo, prints its summary and a dashboard URL that answers, and keeps serving', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dsf-start-demo-'));
    dataDirs.push(dataDir);
    const port = await freePort();
    const started = spawnLocalRuntime({ PORT: String(port), DSF_DATA_DIR: dataDir, DSF_DEMO: '1' });
    try {
      await outputMatching(started.output, /The demo feature is merged\./, 240_000);
      const [, dashboardUrl] = await outputMatching(started.output, /dashboard {3}(http:\/\/\S+)/, 1_000);
      const page = await fetch(dashboardUrl!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      const features = (await (await fetch(`http://127.0.0.1:${port}/features`)).json()) as { items: Array<{ status: string; title: string }> };
      expect(features.items).toEqual([expect.objectContaining({ status: 'merged', title: 'Let readers rate books' })]);
      expect(started.output()).toContain('DSF keeps serving the API');
    } finally {
      started.child.kill('SIGTERM');
      expect(await exitOf(started.child)).toEqual({ code: 0, signal: null });
    }
  }, 300_000);
});
