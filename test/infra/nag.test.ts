import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { acknowledgementsUnder, MIN_REASON_LENGTH } from '../../lib/nag.js';
import { construct, synthesize, type Synthesized } from './synth-fixture.js';

/** Enough for every handler's configuration schema to parse at import; nothing is called. */
const fakeConfiguration = {
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'dsf-test-table',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:dsf-test-feature',
  DSF_WEBHOOK_SECRET_ID: 'dsf/test/github-webhook-secret',
};

interface Finding {
  readonly rule: string;
  readonly path: string;
}

/** What AwsSolutions reports on an app; with `ignoreAcknowledgements`, also what the acknowledgements hide. */
function findings(app: App, options: { ignoreAcknowledgements?: boolean } = {}): Finding[] {
  const pack = new AwsSolutionsChecks();
  if (options.ignoreAcknowledgements) {
    // Test-only: the pack's own acknowledgement check, switched off to list everything it would report.
    Object.defineProperty(pack, 'isAcknowledged', { value: () => false });
  }
  return pack
    .validateScope(app)
    .violations.flatMap((violation) => violation.violatingResources.map((resource) => ({ rule: violation.ruleName, path: resource.constructPath ?? '(no path)' })));
}

describe('cdk-nag AwsSolutions', () => {
  let bundled: Synthesized;
  beforeAll(() => {
    // As `npx cdk synth` runs it: every function bundled, the pack registered as a validation plugin
    // (synthesis throws on any unacknowledged finding, so getting here already says a lot).
    bundled = synthesize({}, { bundle: true, nag: true });
  });

  it('synthesizes with the AwsSolutions checks and leaves no finding unacknowledged', () => {
    expect(findings(bundled.app)).toEqual([]);
  });

  it('finds nothing unacknowledged with the other options either (JWT, model API keys, a GitHub App, role models, alarm e-mail, prod)', () => {
    // The pack walks the construct tree; these need no synthesis of their own.
    const variant = construct({
      stage: 'prod',
      authorizer: 'jwt',
      jwtIssuer: 'https://login.example.com/',
      jwtAudience: 'dsf',
      modelProvider: 'openai',
      modelId: 'gpt-4.1',
      roleModels: '{"review":"anthropic:claude-sonnet-4-5","code":"bedrock:eu.anthropic.claude-sonnet-4-5-20250929-v1:0"}',
      githubAppId: '4242',
      githubInstallationId: '777',
      githubOwner: 'octo',
      alarmEmail: 'ops@example.com',
    });
    const plainModel = construct({ modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0' });

    expect(findings(variant.app)).toEqual([]);
    expect(findings(plainModel.app)).toEqual([]);
  });

  it('gives every acknowledgement a specific reason', () => {
    const acknowledgements = acknowledgementsUnder(bundled.app);

    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { path: at, id, reason } of acknowledgements) {
      expect({ at, id, reasonLongEnough: reason.trim().length >= MIN_REASON_LENGTH }).toEqual({ at, id, reasonLongEnough: true });
      expect(id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
    }
  });

  it('acknowledges only findings that occur: no stale acknowledgement hides a future one', () => {
    const everything = findings(bundled.app, { ignoreAcknowledgements: true });
    const stale = acknowledgementsUnder(bundled.app).filter(
      ({ path: at, id }) => !everything.some((finding) => finding.rule === id && (finding.path === at || finding.path.startsWith(`${at}/`))),
    );

    expect(stale).toEqual([]);
  });

  it('bundles every Node.js handler into a zip asset that initialises in a fresh Node process', () => {
    const manifest = JSON.parse(readFileSync(path.join(bundled.outdir, `${bundled.stack.artifactId}.assets.json`), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    const zips = Object.values(manifest.files).filter((file) => file.source.packaging === 'zip');

    // 15 handlers; identical bundles would share an asset, these do not.
    expect(zips).toHaveLength(15);
    for (const zip of zips) {
      const directory = path.join(bundled.outdir, zip.source.path);
      expect({ directory, index: existsSync(path.join(directory, 'index.mjs')), map: existsSync(path.join(directory, 'index.mjs.map')) }).toEqual({
        directory,
        index: true,
        map: true,
      });
      // ESM with the require banner, lazy chunks and the zod import rewrite: importing runs config parsing and client setup.
      const run = spawnSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(path.join(directory, 'index.mjs')).href)});`], {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '', ...fakeConfiguration },
      });
      expect({ directory, status: run.status, error: run.status === 0 ? '' : run.stderr }).toEqual({ directory, status: 0, error: '' });
    }
  });
});
