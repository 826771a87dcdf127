import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookEntry } from '../../lib/api.js';
import {
  bundleHandler,
  envOnlyAwsCredentials,
  envOnlyCredentialsMessage,
  handlerEntryPath,
  handlerEsbuildOptions,
  lambdaUnusedCredentialSources,
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

/** The npm packages whose sources went into a shipped file, from the source maps next to them. */
function packagesIn(directory: string): Set<string> {
  const packages = new Set<string>();
  for (const file of filesOf(directory).filter((name) => name.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(path.join(directory, file), 'utf8')) as { sources: string[] };
    for (const source of map.sources) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source);
      if (match) packages.add(match[1]!);
    }
  }
  return packages;
}

describe.each([webhookEntry, 'submit-feature'])('the %s bundle', (entry) => {
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
