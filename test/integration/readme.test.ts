import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { silentLogger } from '../support/fixtures.js';

/** The shell blocks of one README section, in order. */
function shellBlocks(section: string): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf(`## ${section}`);
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end === -1 ? undefined : end);
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

describe('README', () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startLocalRuntime({
      dataDir: tmpdir(),
      inMemory: true,
      port: 0,
      dynamoDbEndpoint: inject('dynamoDbEndpoint'),
      tableName: `readme-${Date.now()}`,
      logger: silentLogger(),
    });
  });
  afterAll(() => runtime.stop());

  it('has curl examples that work as written against the local runtime', async () => {
    const blocks = shellBlocks('Using the HTTP API');
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const script = ['set -euo pipefail', ...blocks].join('\n').replaceAll('http://127.0.0.1:8787', runtime.url);

    // Async on purpose: the server runs in this process, so a synchronous spawn would block it.
    const run = await promisify(execFile)('bash', ['-c', script], { encoding: 'utf8', timeout: 30_000 });

    expect(run.stderr).toBe('');
    const out = run.stdout;
    expect(out).toMatch(/^HTTP\/1\.1 202 Accepted/m);
    expect(out).toMatch(/^location: \/features\/feat_[0-9A-Z]{26}/im);
    expect(out).toContain('"taskSummary":{"total":3');
    expect(out).toContain('"type":"feature.created"');
    expect(out).toMatch(/"status":"cancelled"/);
    expect(out).toContain('"pointer":"/colour","detail":"unknown field"');
  });

  it('puts the quick start at the top', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme.indexOf('npm ci && npm start')).toBeLessThan(1500);
    expect(readme).toContain('npm test');
  });
});
