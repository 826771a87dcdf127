import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';

/**
 * The esbuild settings of every Node.js handler, in one place: the CDK base
 * function (zip functions), the agent worker image build and `npm run bench:bundle`
 * all bundle with exactly these, so what the benchmark measures is what ships.
 *
 * Kept free of aws-cdk-lib so the worker image build can run it with only tsx and esbuild.
 */

/** The repository root (lib/ sits directly under it). */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Lambda runtime and esbuild target move together: a newer target would emit syntax the runtime cannot parse. */
export const nodeTarget = 'node22';

/**
 * esbuild emits ESM; CommonJS packages inside the bundle still call `require`
 * (for Node built-ins), which ESM does not define. The banner gives them one.
 */
export const requireBanner = "import { createRequire as __dsfCreateRequire } from 'node:module'; const require = __dsfCreateRequire(import.meta.url);";

/**
 * Left out of the agent worker's bundle and installed beside it in the image
 * (docker/agent-worker/Dockerfile): the gates' tools. ESLint and its plugins
 * break when bundled (ESLint's rule helpers lose their exports:
 * "….parse is not a function"), eslint-plugin-security is loaded with
 * createRequire (invisible to esbuild), and tsc is run as a file.
 */
export const workerRuntimePackages = [
  'eslint',
  '@eslint/js',
  'typescript-eslint',
  'typescript',
  'eslint-plugin-security',
  '@secretlint/core',
  '@secretlint/secretlint-rule-preset-recommend',
] as const;

export const handlerEsbuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: nodeTarget,
  minify: true,
  sourcemap: true,
  // Prefer the ES module builds, so esbuild can drop the parts of the AWS SDK v3 a handler does not import.
  mainFields: ['module', 'main'],
  // Nothing of ours external: the SDK v3 in the Lambda runtime is whatever version AWS ships; bundling pins ours and tree-shakes it.
  // Only jiti: ESLint's loader of TypeScript config files (`await import("jiti")`, an optional peer we do not install),
  // which the gates never reach because they pass their own config (overrideConfigFile: true).
  external: ['jiti'] as string[],
  banner: { js: requireBanner },
  // Modules only reached through `await import()` become chunks that are never loaded at cold start
  // (the GitHub client, which GitHubAppHost imports on first use; the worker's SDK event-stream support).
  splitting: true,
} as const satisfies BuildOptions;

/**
 * `import { z } from 'zod'` binds zod's namespace object as a value, so esbuild
 * keeps every export of zod (all schema kinds, JSON Schema, 40 locales: about
 * 450 KB minified). `import * as z from 'zod'` exposes the same API (`z` is that
 * very namespace) and lets esbuild keep only the members a handler uses (about
 * 80 KB). This rewrites the import in our own sources while bundling; once the
 * sources say `import * as z` themselves, it matches nothing and can go.
 */
export const zodNamespaceImport: Plugin = {
  name: 'zod-namespace-import',
  setup(pluginBuild) {
    const namedZ = /^import \{ z \} from 'zod';$/gm;
    const sources = path.join(repoRoot, 'lambdas') + path.sep;
    pluginBuild.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(sources)) return undefined;
      const source = await readFile(args.path, 'utf8');
      return { contents: source.replace(namedZ, "import * as z from 'zod';"), loader: 'ts' };
    });
  },
};

/**
 * The credential sources of the AWS SDK's default chain (`@aws-sdk/credential-provider-node`)
 * other than the environment, with the names their importers take from them. The chain tries
 * the environment first and reaches these only through `await import()`; Lambda always puts
 * the function's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), so they never run there. Yet they ship as chunks, with the STS,
 * SSO-OIDC and sign-in clients they use: about 95 KB in every function's asset.
 */
export const lambdaUnusedCredentialSources: Readonly<Record<string, readonly string[]>> = {
  '@aws-sdk/credential-provider-sso': ['fromSSO'],
  '@aws-sdk/credential-provider-ini': ['fromIni'],
  '@aws-sdk/credential-provider-process': ['fromProcess'],
  '@aws-sdk/credential-provider-web-identity': ['fromTokenFile', 'fromWebToken'],
  '@aws-sdk/credential-provider-http': ['fromHttp'],
  '@smithy/credential-provider-imds': ['fromContainerMetadata', 'fromInstanceMetadata'],
};

/** What a function's SDK client reports when its environment holds no credentials. */
export const envOnlyCredentialsMessage =
  'AWS credentials must come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), as Lambda sets them; this bundle leaves out the SDK\'s other credential sources (lib/bundling.ts)';

/**
 * Resolves the dynamic imports of `lambdaUnusedCredentialSources` to a stub whose providers
 * throw `envOnlyCredentialsMessage`, so a function without credentials in its environment
 * fails with that reason (the chain stops at a plain Error) instead of shipping code it
 * never runs. Static imports of these packages, should any appear, are left alone.
 */
export const envOnlyAwsCredentials: Plugin = {
  name: 'env-only-aws-credentials',
  setup(pluginBuild) {
    const namespace = 'env-only-aws-credentials';
    pluginBuild.onResolve({ filter: /^@(aws-sdk|smithy)\/credential-provider-/ }, (args) =>
      args.kind === 'dynamic-import' && Object.hasOwn(lambdaUnusedCredentialSources, args.path) ? { path: args.path, namespace } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace }, (args) => {
      const exported = lambdaUnusedCredentialSources[args.path] ?? [];
      const providers = exported.map((name) => `export const ${name} = () => fail(${JSON.stringify(`${args.path} ${name}`)});`);
      // remoteProvider reads these two names to choose between container and instance metadata.
      const constants =
        args.path === '@smithy/credential-provider-imds'
          ? ["export const ENV_CMDS_FULL_URI = 'AWS_CONTAINER_CREDENTIALS_FULL_URI';", "export const ENV_CMDS_RELATIVE_URI = 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI';"]
          : [];
      const contents = [
        `const fail = (source) => async () => { throw new Error(${JSON.stringify(envOnlyCredentialsMessage)} + ': ' + source + ' is not bundled'); };`,
        ...providers,
        ...constants,
      ].join('\n');
      return { contents, loader: 'js' };
    });
  },
};

/**
 * Every AWS SDK client imports its whole package.json (about 2 KB minified each) to read
 * one field, `version`, for its user agent. This gives them a package.json with only that.
 */
export const sdkPackageVersionOnly: Plugin = {
  name: 'sdk-package-version-only',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]package\.json$/ }, async (args) => {
      const manifest: unknown = JSON.parse(await readFile(args.path, 'utf8'));
      const version = manifest && typeof manifest === 'object' && 'version' in manifest ? manifest.version : undefined;
      if (typeof version !== 'string') return { errors: [{ text: `${args.path} has no version` }] };
      return { contents: JSON.stringify({ version }), loader: 'json' };
    });
  },
};

/** What a function's SDK client reports when it is asked for an event stream it was bundled without. */
export const noEventStreamsMessage =
  'this function was bundled without the AWS SDK\'s event-stream support, as none of its clients has an event-stream operation (lib/bundling.ts)';

/**
 * The SDK's protocols load its event-stream support with `await import('@smithy/core/event-streams')`,
 * and only for an operation with an event stream. The clients of most zip functions (DynamoDB,
 * Step Functions, Secrets Manager) have none, yet the support ships in each asset (about 14 KB).
 * This resolves that dynamic import to a stub that throws `noEventStreamsMessage`. Clients with
 * event-stream operations (Bedrock's ConverseStream, S3's SelectObjectContent) import the support
 * statically in their runtime config: such an import fails the build, so a function that needs the
 * support is never bundled without it (the agent worker and `eventStreamEntries` bundle with `eventStreams: true`).
 */
export const noAwsEventStreams: Plugin = {
  name: 'no-aws-event-streams',
  setup(pluginBuild) {
    const namespace = 'no-aws-event-streams';
    pluginBuild.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) =>
      args.kind === 'dynamic-import'
        ? { path: args.path, namespace }
        : { errors: [{ text: `${args.importer} imports @smithy/core/event-streams: one of this function's clients has event-stream operations; bundle it with eventStreams: true` }] },
    );
    pluginBuild.onLoad({ filter: /.*/, namespace }, () => {
      const fail = `() => { throw new Error(${JSON.stringify(noEventStreamsMessage)}); }`;
      return { contents: `export const EventStreamSerde = ${fail};\nexport const eventStreamSerdeProvider = ${fail};`, loader: 'js' };
    });
  },
};

/** What bundleHandler may be told beyond the shared settings. */
export interface HandlerBundleOptions {
  readonly external?: readonly string[];
  /** Keep the SDK's event-stream support (see noAwsEventStreams): for functions whose clients have event-stream operations. @default false */
  readonly eventStreams?: boolean;
}

/**
 * The zip functions whose clients have event-stream operations: the Plan step calls the planner
 * model (the Bedrock Runtime client) and writes transcript bodies (the S3 client), both of which
 * import the support statically (lambdas/aws-plan-deps.ts).
 */
export const eventStreamEntries: readonly string[] = ['plan-feature'];

/** The entry of the agent worker image; it bundles with its gates' tools left out and event streams kept. */
export const workerEntry = 'agent-worker';

/** How `lambdas/<entry>/handler.ts` is bundled wherever it is: the CDK asset, the worker image, the benchmark. */
export function bundleOptionsFor(entry: string): HandlerBundleOptions {
  if (entry === workerEntry) return { external: workerRuntimePackages, eventStreams: true };
  return eventStreamEntries.includes(entry) ? { eventStreams: true } : {};
}

/** Lambda loads `index.handler` from `index.mjs` for ESM bundles. */
export const bundleFileName = 'index.mjs';

/**
 * Node options of every Node.js function: stack traces in the logs point at
 * the TypeScript sources. Costs about 15 ms of cold start with these bundles
 * (measured by `npm run bench:bundle`, which runs with the same options).
 */
export const handlerNodeOptions = '--enable-source-maps';

/** `lambdas/<entry>/handler.ts`, the one convention every Lambda entry follows. */
export const handlerEntryPath = (entry: string): string => path.join(repoRoot, 'lambdas', entry, 'handler.ts');

export interface HandlerBundle {
  /** The entry module, `outdir/index.mjs`. */
  readonly file: string;
  /** Bytes of JavaScript Node loads when it imports the handler: the entry and the chunks it imports statically. */
  readonly initBytes: number;
  /** Bytes of all JavaScript written to `outdir` (the asset), lazily imported chunks included, source maps excluded. */
  readonly totalBytes: number;
  /** Bytes of the source maps written next to the JavaScript (also in the asset, read only for stack traces). */
  readonly sourceMapBytes: number;
}

/**
 * Bundles one handler into `outdir` (`index.mjs`, lazily imported chunks under
 * `chunks/`, source maps) with the shared settings. Writes nothing else there,
 * and only what the entry can reach: esbuild also emits a chunk for an
 * `await import()` that tree shaking removed (the SDK's browser user-agent
 * parser, bowser, 34 KB), which no shipped file imports.
 */
export async function bundleHandler(
  entryFile: string,
  outdir: string,
  options: HandlerBundleOptions = {},
): Promise<HandlerBundle> {
  const result = await build({
    ...handlerEsbuildOptions,
    mainFields: [...handlerEsbuildOptions.mainFields],
    external: [...handlerEsbuildOptions.external, ...(options.external ?? [])],
    plugins: [zodNamespaceImport, envOnlyAwsCredentials, sdkPackageVersionOnly, ...(options.eventStreams ? [] : [noAwsEventStreams])],
    entryPoints: { index: entryFile },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    absWorkingDir: repoRoot,
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const outputs = new Map(Object.entries(result.metafile.outputs).map(([file, output]) => [path.resolve(repoRoot, file), output]));
  const file = path.join(outdir, bundleFileName);
  if (!outputs.has(file)) throw new Error(`esbuild wrote no ${bundleFileName} for ${entryFile}`);
  const reachable = (kinds: readonly string[]) => {
    const seen = new Set<string>();
    const visit = (output: string) => {
      if (seen.has(output)) return;
      seen.add(output);
      for (const imported of outputs.get(output)?.imports ?? []) {
        if (kinds.includes(imported.kind) && !imported.external) visit(path.resolve(repoRoot, imported.path));
      }
    };
    visit(file);
    return seen;
  };
  const loaded = reachable(['import-statement']);
  const shipped = reachable(['import-statement', 'dynamic-import']);
  const written = result.outputFiles.filter((output) => shipped.has(output.path.replace(/\.map$/, '')));
  for (const output of written) {
    await mkdir(path.dirname(output.path), { recursive: true });
    await writeFile(output.path, output.contents);
  }
  const sum = (predicate: (name: string) => boolean) =>
    written.filter((output) => predicate(output.path)).reduce((total, output) => total + output.contents.byteLength, 0);
  return {
    file,
    initBytes: sum((name) => loaded.has(name)),
    totalBytes: sum((name) => name.endsWith('.mjs')),
    sourceMapBytes: sum((name) => name.endsWith('.map')),
  };
}
