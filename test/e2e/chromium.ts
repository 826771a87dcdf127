import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Known to work here (../shared/docs/LOCAL-STACK.md); `npx playwright install` does not. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Screenshots land here; CI keeps the folder as the run's artefacts (it is gitignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Debian's chromium through playwright-core, with a fresh profile each time. A machine
 * without it fails loudly: a browser test that skips would let a broken UI through.
 */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. The dashboard's browser tests need it: ` +
        'run `apt-get update && apt-get install -y chromium` (.ci/run does this on CI).',
    );
  }
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'dsf-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    reducedMotion: 'no-preference',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function artifactPath(name: string): string {
  return join(ARTIFACTS_DIR, name);
}
