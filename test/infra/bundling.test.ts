import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepFunctions } from '../../lambdas/orchestration/step-functions.js';
import { webhookEntry } from '../../lib/api.js';
import {
  bundleHandler,
  bundleOptionsFor,
  eventStreamEntries,
  envOnlyAwsCredentials,
  envOnlyCredentialsMessage,
  handlerEntryPath,
  handlerEsbuildOptions,
  lambdaUnusedCredentialSources,
  noAwsEventStreams,
  noEventStreamsMessage,
  repoRoot,
  type HandlerBundle,
} from '../../lib/bundling.js';

const workdir = mkdtempSync(path.join(os.tmpdir(), 'dsf-bundling-'));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** Packages only the SDK's non-environment credential sources use, and the browser user-agent parser. */
const leftOut = [
  ...Object.keys(lambdaUnusedCredentialSources),
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/nested-clients',
  '@aws-sdk/token-providers',
  'bowser',
];

/** Every shipped file under `directory`, relative to it. */
function filesOf(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** The source files that went into a shipped file, from the source maps next to them. */
function sourcesIn(directory: string): string[] {
  return filesOf(directory)
    .filter((name) => name.endsWith('.map'))
    .flatMap((file) => (JSON.parse(readFileSync(path.join(directory, file), 'utf8')) as { sources: string[] }).sources);
}

/** The npm packages whose sources went into a shipped file. */
function packagesIn(directory: string): Set<string> {
  return new Set(sourcesIn(directory).flatMap((source) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source)?.[1] ?? []));
}

/**
 * What a bundle must not ship, to keep API and webhook functions at ≤ 500 KB of code (issue 4):
 * the transcript route reads S3 with signed GETs (S3ObjectReader), not the S3 client; GitHubHost
 * calls @octokit/core with route strings, not @octokit/rest, whose endpoint table is ~80 KB.
 */
const notShipped: Readonly<Record<string, readonly string[]>> = {
  [webhookEntry]: ['@octokit/rest', '@octokit/plugin-rest-endpoint-methods', '@aws-sdk/client-s3'],
  'get-feature-transcript': ['@aws-sdk/client-s3', '@octokit/core'],
  'submit-feature': ['@aws-sdk/client-s3', '@octokit/core'],
};

/** The model clients: only the agent worker and the Plan step call a model (lambdas/aws-worker-deps.ts, lambdas/aws-plan-deps.ts). */
const modelSdks = ['@aws-sdk/client-bedrock-runtime', '@anthropic-ai/sdk', 'openai'];

describe.each([webhookEntry, 'get-feature-transcript', 'submit-feature'])('the %s bundle', (entry) => {
  let directory: string;
  let bundle: HandlerBundle;
  beforeAll(async () => {
    directory = path.join(workdir, entry);
    bundle = await bundleHandler(handlerEntryPath(entry), directory);
  });

  it("keeps the SDK's environment credentials and leaves out its other credential sources", () => {
    const packages = packagesIn(directory);

    expect(packages).toContain('@aws-sdk/credential-provider-node');
    expect(packages).toContain('@aws-sdk/credential-provider-env');
    expect(leftOut.filter((name) => packages.has(name))).toEqual([]);
  });

  it('leaves out the packages it has no use for', () => {
    const packages = packagesIn(directory);

    expect([...notShipped[entry]!, ...modelSdks].filter((name) => packages.has(name))).toEqual([]);
    // What replaced them is there: the GitHub client and its plugins, the request signer.
    if (entry === webhookEntry) expect(['@octokit/core', '@octokit/plugin-throttling', '@octokit/plugin-retry', '@octokit/auth-app'].filter((name) => !packages.has(name))).toEqual([]);
    if (entry === 'get-feature-transcript') expect(packages).toContain('@smithy/signature-v4');
  });

  it("leaves out the SDK's event-stream support, which none of its clients uses, and the SDK's package.json files but their version", () => {
    const sources = sourcesIn(directory);

    expect(sources.filter((source) => source.includes('@smithy/core/dist-es/submodules/event-streams/'))).toEqual([]);
    expect(sources).toContain('no-aws-event-streams:@smithy/core/event-streams');
    // A whole manifest would bring its repository URL (as a minified object literal).
    expect(readFileSync(path.join(directory, 'index.mjs'), 'utf8')).not.toContain('homepage:"https://github.com/aws/aws-sdk-js-v3');
  });

  it('ships only files the entry reaches, each JavaScript file with its source map, and counts them all', () => {
    const files = filesOf(directory);
    const javascript = files.filter((name) => name.endsWith('.mjs'));
    const referenced = (chunk: string) =>
      javascript.some((other) => other !== chunk && readFileSync(path.join(directory, other), 'utf8').includes(path.basename(chunk)));
    const size = (names: string[]) => names.reduce((total, name) => total + readFileSync(path.join(directory, name)).byteLength, 0);

    expect(javascript).toContain('index.mjs');
    expect(javascript.filter((chunk) => chunk !== 'index.mjs' && !referenced(chunk))).toEqual([]);
    expect(files.filter((name) => name.endsWith('.map'))).toEqual(javascript.map((name) => `${name}.map`));
    expect(bundle.totalBytes).toBe(size(javascript));
    expect(bundle.sourceMapBytes).toBe(size(files.filter((name) => name.endsWith('.map'))));
    expect(bundle.initBytes).toBeLessThanOrEqual(bundle.totalBytes);
  });
});

describe.each(stepFunctions.map((step) => step.entry))('the %s state machine bundle, bundled as deployed', (entry) => {
  it('ships the model clients and their event-stream support only for the Plan step', async () => {
    const directory = path.join(workdir, entry);
    await bundleHandler(handlerEntryPath(entry), directory, bundleOptionsFor(entry));
    const packages = packagesIn(directory);
    const plans = entry === 'plan-feature';

    expect(eventStreamEntries.includes(entry)).toBe(plans);
    expect({ entry, modelSdks: modelSdks.filter((name) => packages.has(name)) }).toEqual({ entry, modelSdks: plans ? modelSdks : [] });
    expect({ entry, s3: packages.has('@aws-sdk/client-s3') }).toEqual({ entry, s3: plans });
    const eventStreams = sourcesIn(directory).some((source) => source.includes('@smithy/core/dist-es/submodules/event-streams/'));
    expect({ entry, eventStreams }).toEqual({ entry, eventStreams: plans });
  });
});

describe('the event-stream stub', () => {
  const bundleWithout = (contents: string) =>
    build({
      ...handlerEsbuildOptions,
      mainFields: [...handlerEsbuildOptions.mainFields],
      external: [...handlerEsbuildOptions.external],
      splitting: false,
      sourcemap: false,
      plugins: [noAwsEventStreams],
      stdin: { contents, resolveDir: repoRoot, sourcefile: 'event-stream-probe.ts', loader: 'ts' },
      write: false,
      logLevel: 'silent',
    });

  it('fails the build of a function whose clients import the support statically (they have event-stream operations)', async () => {
    await expect(bundleWithout("export { eventStreamSerdeProvider } from '@smithy/core/event-streams';")).rejects.toThrow(/bundle it with eventStreams: true/);
  });

  it('makes the lazily loaded support throw the reason', async () => {
    const result = await bundleWithout(
      "const { eventStreamSerdeProvider } = await import('@smithy/core/event-streams'); try { eventStreamSerdeProvider({}); } catch (error) { console.log(error.message); }",
    );
    const probe = path.join(workdir, 'event-stream-probe.mjs');
    writeFileSync(probe, result.outputFiles[0]!.contents);

    expect(spawnSync(process.execPath, [probe], { encoding: 'utf8' }).stdout.trim()).toBe(noEventStreamsMessage);
  });
});

describe('the credential-source stub', () => {
  it('exports what the real packages export under the names the default chain takes', async () => {
    for (const [name, exported] of Object.entries(lambdaUnusedCredentialSources)) {
      const real = (await import(name)) as Record<string, unknown>;
      expect({ name, functions: exported.filter((member) => typeof real[member] === 'function') }).toEqual({ name, functions: exported });
    }
    const imds = await import('@smithy/credential-provider-imds');
    expect([imds.ENV_CMDS_FULL_URI, imds.ENV_CMDS_RELATIVE_URI]).toEqual(['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']);
  });

  describe("in the SDK's default chain", () => {
    let probe: string;
    beforeAll(async () => {
      // The chain every client builds when given no credentials, bundled as the functions are (in one file).
      const result = await build({
        ...handlerEsbuildOptions,
        mainFields: [...handlerEsbuildOptions.mainFields],
        external: [...handlerEsbuildOptions.external],
        splitting: false,
        sourcemap: false,
        plugins: [envOnlyAwsCredentials],
        stdin: {
          contents: [
            "import { defaultProvider } from '@aws-sdk/credential-provider-node';",
            'try { const { accessKeyId } = await defaultProvider()(); console.log(JSON.stringify({ accessKeyId })); }',
            'catch (error) { console.log(JSON.stringify({ error: error.message })); }',
          ].join('\n'),
          resolveDir: repoRoot,
          sourcefile: 'credential-probe.ts',
          loader: 'ts',
        },
        write: false,
        logLevel: 'warning',
      });
      probe = path.join(workdir, 'credential-probe.mjs');
      writeFileSync(probe, result.outputFiles[0]!.contents);
    });

    const run = (env: Record<string, string>) => {
      // HOME points at an empty directory, so no ~/.aws file of this machine can play a part.
      const child = spawnSync(process.execPath, [probe], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', HOME: workdir, ...env } });
      return JSON.parse(child.stdout) as { accessKeyId?: string; error?: string };
    };

    it('returns the credentials Lambda puts in the environment', () => {
      expect(run({ AWS_ACCESS_KEY_ID: 'AKIDLAMBDA', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' })).toEqual({ accessKeyId: 'AKIDLAMBDA' });
    });

    it('fails with the reason when the environment holds none, instead of reading files or metadata', () => {
      const { error } = run({});

      expect(error).toContain(envOnlyCredentialsMessage);
      expect(error).toContain('@aws-sdk/credential-provider-ini fromIni is not bundled');
    });
  });
});
