import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import js from '@eslint/js';
import { lintSource } from '@secretlint/core';
import { creator as secretlintRecommended } from '@secretlint/secretlint-rule-preset-recommend';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { z } from 'zod';
import { maskSecret, type ChangedFile, type Finding, type Severity } from '../core/gate-policy.js';
import { combinedOutput, runProcess, type ProcessOptions } from './subprocess.js';

const require = createRequire(import.meta.url);
// eslint-plugin-security ships no types; ESLint validates the plugin's shape when it loads it.
const security = require('eslint-plugin-security') as ESLint.Plugin;

export const JS_FILE = /\.[cm]?jsx?$/;
export const TS_FILE = /\.[cm]?tsx?$/;
export const isScript = (path: string) => JS_FILE.test(path) || TS_FILE.test(path);
const JS_GLOBS = ['**/*.js', '**/*.mjs', '**/*.cjs', '**/*.jsx'];
const TS_GLOBS = ['**/*.ts', '**/*.mts', '**/*.cts', '**/*.tsx'];

/** The globals every Node program may use; `require` and friends only where the module system provides them. */
const NODE_GLOBALS: Linter.Globals = Object.fromEntries(
  [
    'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'AbortController', 'AbortSignal',
    'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'queueMicrotask',
    'structuredClone', 'fetch', 'Request', 'Response', 'Headers', 'FormData', 'Blob', 'performance', 'crypto', 'globalThis',
    'EventTarget', 'Event', 'WebAssembly', 'BroadcastChannel', 'MessageChannel', 'atob', 'btoa',
  ].map((name) => [name, 'readonly' as const]),
);
const COMMONJS_GLOBALS: Linter.Globals = { require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly', __filename: 'readonly' };

function languageConfigs(moduleType: 'module' | 'commonjs'): Linter.Config[] {
  const script = (sourceType: 'module' | 'commonjs'): Linter.Config['languageOptions'] => ({
    ecmaVersion: 'latest',
    sourceType,
    globals: sourceType === 'commonjs' ? { ...NODE_GLOBALS, ...COMMONJS_GLOBALS } : NODE_GLOBALS,
    parserOptions: { ecmaFeatures: { jsx: true } },
  });
  return [
    { files: [...JS_GLOBS, ...TS_GLOBS], languageOptions: script(moduleType) },
    { files: ['**/*.mjs', ...TS_GLOBS], languageOptions: script('module') },
    { files: ['**/*.cjs'], languageOptions: script('commonjs') },
    { files: TS_GLOBS, languageOptions: { parser: tseslint.parser } },
  ];
}

const eslintFinding =
  (dir: string, severityOf?: (ruleId: string) => Severity) =>
  (result: ESLint.LintResult): Finding[] =>
    result.messages.map((message) => ({
      file: relative(dir, result.filePath),
      line: message.line,
      ...(message.ruleId ? { rule: message.ruleId } : {}),
      ...(severityOf ? { severity: severityOf(message.ruleId ?? '') } : {}),
      message: message.message,
    }));

/** Lint for Node repositories without a lint script: ESLint's recommended rules (typescript-eslint's for .ts) on the changed files. */
export async function eslintRecommended(dir: string, files: readonly string[], moduleType: 'module' | 'commonjs'): Promise<Finding[]> {
  if (files.length === 0) return [];
  const tsRecommended = tseslint.configs.recommended.map((config) => ({ ...config, files: TS_GLOBS }) as Linter.Config);
  const eslint = new ESLint({
    cwd: dir,
    overrideConfigFile: true,
    overrideConfig: [...languageConfigs(moduleType), { files: [...JS_GLOBS, ...TS_GLOBS], ...js.configs.recommended }, ...tsRecommended],
    errorOnUnmatchedPattern: false,
  });
  return (await eslint.lintFiles([...files])).flatMap(eslintFinding(dir));
}

/**
 * How bad each eslint-plugin-security finding is. The plugin has no
 * severities; these follow what the rule can lead to: code execution high,
 * denial of service or a crafted path medium, patterns that are usually
 * benign (object[key]) low.
 */
export const SECURITY_RULE_SEVERITY: Readonly<Record<string, Severity>> = {
  'detect-eval-with-expression': 'high',
  'detect-child-process': 'high',
  'detect-non-literal-require': 'high',
  'detect-disable-mustache-escape': 'high',
  'detect-bidi-characters': 'high',
  'detect-unsafe-regex': 'medium',
  'detect-pseudoRandomBytes': 'medium',
  'detect-no-csrf-before-method-override': 'medium',
  'detect-buffer-noassert': 'medium',
  'detect-new-buffer': 'medium',
  'detect-invisible-characters': 'medium',
  'detect-non-literal-fs-filename': 'low',
  'detect-non-literal-regexp': 'low',
  'detect-possible-timing-attacks': 'low',
  'detect-object-injection': 'low',
};
const securitySeverity = (ruleId: string): Severity => SECURITY_RULE_SEVERITY[ruleId.replace(/^security\//, '')] ?? 'medium';

/** SAST for JS/TS: every eslint-plugin-security rule on the changed files, with inline disables ignored so a change cannot silence it. */
export async function eslintSecurity(dir: string, files: readonly string[], moduleType: 'module' | 'commonjs'): Promise<Finding[]> {
  if (files.length === 0) return [];
  const rules = Object.fromEntries(Object.keys(security.rules ?? {}).map((rule) => [`security/${rule}`, 'warn' as const]));
  const eslint = new ESLint({
    cwd: dir,
    overrideConfigFile: true,
    overrideConfig: [...languageConfigs(moduleType), { files: [...JS_GLOBS, ...TS_GLOBS], plugins: { security }, rules }],
    allowInlineConfig: false,
    errorOnUnmatchedPattern: false,
  });
  return (await eslint.lintFiles([...files])).flatMap(eslintFinding(dir, securitySeverity)).filter((f) => f.rule !== undefined);
}

/** `tsc --noEmit -p <project>` with the factory's TypeScript; @types/node is lent when the repository has none of its own. */
export async function typescriptCheck(dir: string, project: string, options: Omit<ProcessOptions, 'cwd'>): Promise<{ findings: Finding[]; failed: boolean; output: string }> {
  const tsc = require.resolve('typescript/bin/tsc');
  const ownNodeTypes = await readFile(join(dir, 'node_modules', '@types', 'node', 'package.json')).then(
    () => true,
    () => false,
  );
  // The lent types live outside the project; depth 0 keeps tsc from type-checking the JS packages beside them.
  const lentTypes = ownNodeTypes
    ? []
    : ['--typeRoots', dirname(dirname(require.resolve('@types/node/package.json'))), '--types', 'node', '--maxNodeModuleJsDepth', '0'];
  const result = await runProcess(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', project, ...lentTypes], { ...options, cwd: dir });
  const all = [...result.stdout.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)].map((match) => ({
    file: match[1]!,
    line: Number(match[2]),
    rule: match[3]!,
    message: match[4]!,
  }));
  // Errors in dependencies are not the change's to fix; a failure with no parsable error at all still fails.
  const findings = all.filter((finding) => !finding.file.startsWith('..') && !finding.file.split('/').includes('node_modules'));
  return { findings, failed: result.code !== 0 && all.length === 0, output: combinedOutput(result) };
}

/** black --check on the changed Python files: each file black would rewrite is one finding. */
export async function blackCheck(python: string, dir: string, files: readonly string[], options: Omit<ProcessOptions, 'cwd'>): Promise<{ findings: Finding[]; failed: boolean; output: string }> {
  if (files.length === 0) return { findings: [], failed: false, output: '' };
  const result = await runProcess(python, ['-m', 'black', '--check', '--', ...files], { ...options, cwd: dir });
  const output = combinedOutput(result);
  const findings = [...output.matchAll(/^would reformat (.+)$/gm)].map((match) => ({
    file: relative(dir, join(dir, match[1]!.trim())),
    rule: 'black',
    message: 'not formatted with black',
  }));
  return { findings, failed: result.code !== 0, output };
}

const banditReportSchema = z.object({
  results: z.array(
    z.object({
      filename: z.string(),
      line_number: z.int(),
      issue_severity: z.string(),
      issue_text: z.string(),
      test_id: z.string(),
      test_name: z.string(),
    }),
  ),
});

/**
 * Bandit rates eval and exec medium because it cannot see where their input
 * comes from; in code an agent wrote, that is code injection until shown
 * otherwise, rated like eslint-plugin-security's eval rule.
 */
const BANDIT_SEVERITY_OVERRIDES: Readonly<Record<string, Severity>> = { B307: 'high', B102: 'high' };

/** SAST for Python: bandit on the changed files. */
export async function banditScan(python: string, dir: string, files: readonly string[], options: Omit<ProcessOptions, 'cwd'>): Promise<Finding[]> {
  if (files.length === 0) return [];
  const result = await runProcess(python, ['-m', 'bandit', '--format', 'json', '--quiet', '--', ...files], { ...options, cwd: dir });
  const parsed = banditReportSchema.safeParse(safeJson(result.stdout));
  if (!parsed.success) throw new Error(`bandit did not produce a report (exit ${result.code}): ${combinedOutput(result).slice(-500)}`);
  return parsed.data.results.map((issue) => ({
    file: relative(dir, join(dir, issue.filename)),
    line: issue.line_number,
    rule: `${issue.test_id} ${issue.test_name}`,
    severity: BANDIT_SEVERITY_OVERRIDES[issue.test_id] ?? severitySchemaOf(issue.issue_severity),
    message: issue.issue_text,
  }));
}

const severitySchemaOf = (raw: string): Severity => {
  const lower = raw.toLowerCase();
  return lower === 'high' || lower === 'medium' ? lower : 'low';
};

/** Bigger files are generated or data; scanning them would dominate the run. */
const MAX_SECRET_SCAN_BYTES = 1024 * 1024;

/**
 * secretlint's recommended rules over the changed files, keeping what it
 * finds on added lines (a secret already in the base is not this change's).
 * The value itself never leaves this function unmasked.
 */
export async function secretScan(dir: string, files: readonly ChangedFile[]): Promise<{ findings: Finding[]; scanned: number }> {
  const candidates = files.filter((file) => file.status !== 'deleted' && !file.binary && file.addedLines.length > 0);
  const findings: Finding[] = [];
  for (const file of candidates) {
    const content = await readFile(join(dir, file.path), 'utf8').catch(() => undefined);
    if (content === undefined || content.length > MAX_SECRET_SCAN_BYTES) continue;
    const added = new Set(file.addedLines.map((l) => l.line));
    const result = await lintSource({
      source: { filePath: join(dir, file.path), content, contentType: 'text', ext: file.path.includes('.') ? `.${file.path.split('.').at(-1)}` : '' },
      options: { config: { rules: [{ id: secretlintRecommended.meta.id, rule: secretlintRecommended }] }, maskSecrets: false },
    });
    for (const message of result.messages) {
      const { start, end } = message.loc;
      const onAddedLine = Array.from({ length: end.line - start.line + 1 }, (_, i) => start.line + i).some((line) => added.has(line));
      if (!onAddedLine) continue;
      // The rule's data holds the secret itself; the reported range can be offset from it (it may start at the name it is assigned to).
      const secret =
        Object.values(message.data ?? {}).find((value): value is string => typeof value === 'string' && value.length > 0 && content.includes(value)) ??
        content.slice(message.range[0], message.range[1]);
      findings.push({
        file: file.path,
        line: start.line,
        rule: message.messageId ?? message.ruleId,
        severity: 'high',
        message: `${message.messageId ?? 'secret'} ${maskSecret(secret)}`,
      });
    }
  }
  return { findings, scanned: candidates.length };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
