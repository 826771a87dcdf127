import { mkdir, readFile } from 'node:fs/promises';
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

export const handlerEsbuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: nodeTarget,
  minify: true,
  sourcemap: true,
  // Prefer the ES module builds, so esbuild can drop the parts of the AWS SDK v3 a handler does not import.
  mainFields: ['module', 'main'],
  // Nothing external: the SDK v3 in the Lambda runtime is whatever version AWS ships; bundling pins ours and tree-shakes it.
  external: [] as string[],
  banner: { js: requireBanner },
  // Modules only reached through `await import()` (the SDK's credential sources other than the
  // environment, which Lambda always sets) become chunks that are never loaded at cold start.
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
  /** Bytes of all JavaScript in the bundle, lazily imported chunks included (source maps excluded). */
  readonly totalBytes: number;
}

/**
 * Bundles one handler into `outdir` (`index.mjs`, lazily imported chunks under
 * `chunks/`, source maps) with the shared settings. Writes nothing else there.
 */
export async function bundleHandler(entryFile: string, outdir: string): Promise<HandlerBundle> {
  await mkdir(outdir, { recursive: true });
  const result = await build({
    ...handlerEsbuildOptions,
    mainFields: [...handlerEsbuildOptions.mainFields],
    external: [...handlerEsbuildOptions.external],
    plugins: [zodNamespaceImport],
    entryPoints: { index: entryFile },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    absWorkingDir: repoRoot,
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = new Map(Object.entries(result.metafile.outputs).map(([file, output]) => [path.resolve(repoRoot, file), output]));
  const file = path.join(outdir, bundleFileName);
  if (!outputs.has(file)) throw new Error(`esbuild wrote no ${bundleFileName} for ${entryFile}`);
  const loaded = new Set<string>();
  const visit = (output: string) => {
    if (loaded.has(output)) return;
    loaded.add(output);
    for (const imported of outputs.get(output)?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) visit(path.resolve(repoRoot, imported.path));
    }
  };
  visit(file);
  const javascript = [...outputs].filter(([name]) => name.endsWith('.mjs'));
  const sum = (entries: typeof javascript) => entries.reduce((total, [, output]) => total + output.bytes, 0);
  return { file, initBytes: sum(javascript.filter(([name]) => loaded.has(name))), totalBytes: sum(javascript) };
}
