import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { text } from '../../lambdas/adapters/local-git/git-cli.js';
import { git, tempDir } from './local-git.js';

/**
 * Small real repositories for the quality gates: one clean base commit per
 * language, and one commit on top of it per planted problem (a branch named
 * after the problem). The planted commits are written with git plumbing, so
 * building them touches no working tree and they can be made in parallel.
 */
export interface GateFixture {
  readonly dir: string;
  /** The clean base commit (branch main, checked out). */
  readonly base: string;
  /** Commit of each variant, by name; every variant's parent is `base`. */
  readonly commits: Readonly<Record<string, string>>;
}

/** File contents by path; null deletes the file. */
export type FileChanges = Readonly<Record<string, string | null>>;

export async function buildFixture(files: FileChanges, variants: Readonly<Record<string, FileChanges>>): Promise<GateFixture> {
  const dir = await tempDir('dsf-gate-fixture-');
  await git(['init', '--quiet', '--initial-branch', 'main', dir]);
  for (const [path, content] of Object.entries(files)) {
    if (content === null) continue;
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await git(['add', '--all'], { cwd: dir });
  await git(['commit', '--quiet', '-m', 'clean base'], { cwd: dir });
  const base = text(await git(['rev-parse', 'HEAD'], { cwd: dir }));
  const entries = await Promise.all(
    Object.entries(variants).map(async ([name, changes]) => [name, await commitOnTop(dir, base, changes, name)] as const),
  );
  return { dir, base, commits: Object.fromEntries(entries) };
}

async function commitOnTop(dir: string, parent: string, changes: FileChanges, name: string): Promise<string> {
  const env = { GIT_INDEX_FILE: join(await tempDir('dsf-gate-index-'), 'index') };
  await git(['read-tree', parent], { cwd: dir, env });
  for (const [path, content] of Object.entries(changes)) {
    if (content === null) {
      await git(['update-index', '--force-remove', '--', path], { cwd: dir, env });
      continue;
    }
    const blob = text(await git(['hash-object', '-w', '--stdin'], { cwd: dir, input: content }));
    await git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { cwd: dir, env });
  }
  const tree = text(await git(['write-tree'], { cwd: dir, env }));
  const commit = text(await git(['commit-tree', tree, '-p', parent, '-m', name], { cwd: dir }));
  await git(['update-ref', `refs/heads/${name}`, commit], { cwd: dir });
  return commit;
}

// Built from parts so this file never holds a whole credential-shaped string.
export const PLANTED_AWS_SECRET_KEY = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYZq8sLm3vT0'].join('/');
export const PLANTED_AWS_KEY_ID = ['AKIA', 'Q3EGS7LMN2WXYZ4R'].join('');

const lines = (...rows: string[]) => `${rows.join('\n')}\n`;

/** 2,000 lines of data: over the default 1,500-line diff limit, and nothing any other gate looks at. */
const bigDataFile = lines(...Array.from({ length: 2_000 }, (_, i) => `word-${i}`));

// ---------------------------------------------------------------- Node ----

/** The shape of the bundled example: node:test, no lint or typecheck scripts, checkJs through jsconfig.json, no dependencies. */
const NODE_MATH = lines(
  '/**',
  ' * @param {number} a',
  ' * @param {number} b',
  ' */',
  'export function add(a, b) {',
  '  return a + b;',
  '}',
  '',
  '/**',
  ' * @param {number} a',
  ' * @param {number} b',
  ' */',
  'export function subtract(a, b) {',
  '  return a - b;',
  '}',
);

const NODE_FORMAT = lines(
  '/** @param {string} name */',
  'export function greet(name) {',
  '  const trimmed = name.trim();',
  "  const shown = trimmed === '' ? 'stranger' : trimmed;",
  '  return `Hello, ${shown}!`;',
  '}',
  '',
  '/** @param {number} cents */',
  'export function money(cents) {',
  '  const sign = cents < 0 ? "-" : "";',
  '  const abs = Math.abs(cents);',
  '  const whole = Math.floor(abs / 100);',
  '  const rest = String(abs % 100).padStart(2, "0");',
  '  return `${sign}${whole}.${rest}`;',
  '}',
  '',
  '/** @param {string[]} items */',
  'export function list(items) {',
  '  if (items.length === 0) return "nothing";',
  '  if (items.length === 1) return items[0];',
  '  const head = items.slice(0, -1).join(", ");',
  '  const last = items[items.length - 1];',
  '  return `${head} and ${last}`;',
  '}',
);

const NODE_MATH_TEST = lines(
  "import test from 'node:test';",
  "import assert from 'node:assert/strict';",
  "import { add, subtract } from '../src/math.js';",
  '',
  "test('add', () => {",
  '  assert.equal(add(2, 3), 5);',
  '});',
  '',
  "test('subtract', () => {",
  '  assert.equal(subtract(5, 3), 2);',
  '});',
);

const NODE_FORMAT_TEST = lines(
  "import test from 'node:test';",
  "import assert from 'node:assert/strict';",
  "import { greet, list, money } from '../src/format.js';",
  '',
  "test('greet', () => {",
  "  assert.equal(greet(' Ada '), 'Hello, Ada!');",
  "  assert.equal(greet(''), 'Hello, stranger!');",
  '});',
  '',
  "test('money', () => {",
  "  assert.equal(money(-1234), '-12.34');",
  '});',
  '',
  "test('list', () => {",
  "  assert.equal(list([]), 'nothing');",
  "  assert.equal(list(['a']), 'a');",
  "  assert.equal(list(['a', 'b', 'c']), 'a, b and c');",
  '});',
);

const NODE_BASE: FileChanges = {
  'package.json': `${JSON.stringify({ name: 'gate-fixture', version: '1.0.0', private: true, type: 'module', scripts: { test: 'node --test' } }, null, 2)}\n`,
  'jsconfig.json': `${JSON.stringify({ compilerOptions: { checkJs: true, strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true }, include: ['src', 'test'] }, null, 2)}\n`,
  '.gitignore': 'node_modules/\n',
  'README.md': '# gate fixture\n',
  'src/math.js': NODE_MATH,
  'src/format.js': NODE_FORMAT,
  'test/math.test.js': NODE_MATH_TEST,
  'test/format.test.js': NODE_FORMAT_TEST,
};

export const NODE_VARIANTS = {
  /** A real, tested change: every gate passes. */
  clean: {
    'src/math.js': NODE_MATH + lines('', '/**', ' * @param {number} a', ' * @param {number} b', ' */', 'export function multiply(a, b) {', '  return a * b;', '}'),
    'test/math.test.js': NODE_MATH_TEST + lines('', "test('multiply', async () => {", "  const { multiply } = await import('../src/math.js');", '  assert.equal(multiply(3, 4), 12);', '});'),
  },
  'failing-test': {
    'test/math.test.js': NODE_MATH_TEST + lines('', "test('add is wrong', () => {", '  assert.equal(add(2, 2), 5);', '});'),
  },
  /** Fails on its first run in a checkout, passes when re-run: state kept in a marker file beside it. */
  'flaky-test': {
    'test/flaky.test.js': lines(
      "import test from 'node:test';",
      "import assert from 'node:assert/strict';",
      "import { existsSync, writeFileSync } from 'node:fs';",
      '',
      "const marker = new URL('./.flaky-marker', import.meta.url);",
      '',
      "test('sometimes fails', () => {",
      '  const firstRun = !existsSync(marker);',
      "  writeFileSync(marker, 'ran');",
      '  assert.equal(firstRun, false);',
      '});',
    ),
  },
  /** Drops the tests of two functions: the project falls under 80 % while no source line changes. */
  'low-coverage': {
    'test/format.test.js': lines(
      "import test from 'node:test';",
      "import assert from 'node:assert/strict';",
      "import { greet } from '../src/format.js';",
      '',
      "test('greet', () => {",
      "  assert.equal(greet(' Ada '), 'Hello, Ada!');",
      '});',
    ),
  },
  /** A new function no test calls: its lines are uncovered, yet the project stays above 80 %. */
  'uncovered-lines': {
    'src/math.js': NODE_MATH + lines('', '/** @param {number} a */', 'export function square(a) {', '  const result = a * a;', '  return result;', '}'),
  },
  'lint-error': {
    'src/math.js': NODE_MATH + lines('', 'const unusedLimit = 10;'),
  },
  'type-error': {
    'src/math.js': NODE_MATH + lines('', '/** @type {number} */', "export const answer = 'forty-two';"),
  },
  /** eval of a caller's string: tested and covered, so only SAST objects. */
  'eval-input': {
    'src/calc.js': lines('/** @param {string} expression */', 'export function evaluate(expression) {', '  return eval(expression);', '}'),
    'test/calc.test.js': lines(
      "import test from 'node:test';",
      "import assert from 'node:assert/strict';",
      "import { evaluate } from '../src/calc.js';",
      '',
      "test('evaluate', () => {",
      "  assert.equal(evaluate('1 + 2'), 3);",
      '});',
    ),
  },
  'aws-key': {
    'src/math.js':
      NODE_MATH +
      lines('', 'export const awsCredentials = {', `  accessKeyId: '${PLANTED_AWS_KEY_ID}',`, `  secretAccessKey: '${PLANTED_AWS_SECRET_KEY}',`, '};'),
  },
  'oversized-diff': { 'data/words.txt': bigDataFile },
} satisfies Record<string, FileChanges>;

export type NodeVariant = keyof typeof NODE_VARIANTS;

export const buildNodeFixture = (): Promise<GateFixture> => buildFixture(NODE_BASE, NODE_VARIANTS);

// -------------------------------------------------------------- Python ----

const PY_OPS = lines(
  'def add(a, b):',
  '    return a + b',
  '',
  '',
  'def subtract(a, b):',
  '    return a - b',
);

const PY_TEST = lines(
  'from calc.ops import add, subtract',
  '',
  '',
  'def test_add():',
  '    assert add(2, 3) == 5',
  '',
  '',
  'def test_subtract():',
  '    assert subtract(5, 3) == 2',
);

/** Enough covered lines that two uncovered ones move diff coverage, not project coverage. */
const PY_TEXT = lines(
  'def greet(name):',
  '    trimmed = name.strip()',
  '    shown = trimmed if trimmed else "stranger"',
  '    return f"Hello, {shown}!"',
  '',
  '',
  'def money(cents):',
  '    sign = "-" if cents < 0 else ""',
  '    whole, rest = divmod(abs(cents), 100)',
  '    return f"{sign}{whole}.{rest:02d}"',
  '',
  '',
  'def listing(items):',
  '    if not items:',
  '        return "nothing"',
  '    if len(items) == 1:',
  '        return items[0]',
  '    return ", ".join(items[:-1]) + " and " + items[-1]',
);

const PY_TEXT_TEST = lines(
  'from calc.text import greet, listing, money',
  '',
  '',
  'def test_greet():',
  '    assert greet(" Ada ") == "Hello, Ada!"',
  '    assert greet("") == "Hello, stranger!"',
  '',
  '',
  'def test_money():',
  '    assert money(-1234) == "-12.34"',
  '',
  '',
  'def test_listing():',
  '    assert listing([]) == "nothing"',
  '    assert listing(["a"]) == "a"',
  '    assert listing(["a", "b", "c"]) == "a, b and c"',
);

const PY_BASE: FileChanges = {
  'calc/text.py': PY_TEXT,
  'tests/test_text.py': PY_TEXT_TEST,
  'pyproject.toml': lines('[project]', 'name = "gate-fixture"', 'version = "1.0.0"', '', '[tool.pytest.ini_options]', 'pythonpath = ["."]'),
  '.gitignore': '__pycache__/\n',
  'calc/__init__.py': '',
  'calc/ops.py': PY_OPS,
  'tests/test_ops.py': PY_TEST,
};

export const PYTHON_VARIANTS = {
  clean: {
    'calc/ops.py': PY_OPS + lines('', '', 'def multiply(a, b):', '    return a * b'),
    'tests/test_ops.py': PY_TEST + lines('', '', 'def test_multiply():', '    from calc.ops import multiply', '', '    assert multiply(3, 4) == 12'),
  },
  'failing-test': {
    'tests/test_ops.py': PY_TEST + lines('', '', 'def test_add_is_wrong():', '    assert add(2, 2) == 5'),
  },
  'flaky-test': {
    'tests/test_flaky.py': lines(
      'from pathlib import Path',
      '',
      'MARKER = Path(__file__).with_name(".flaky-marker")',
      '',
      '',
      'def test_sometimes_fails():',
      '    first_run = not MARKER.exists()',
      '    MARKER.write_text("ran")',
      '    assert not first_run',
    ),
  },
  'uncovered-lines': {
    'calc/ops.py': PY_OPS + lines('', '', 'def square(a):', '    result = a * a', '    return result'),
  },
  /** Valid Python that black would reformat. */
  'lint-error': {
    'calc/ops.py': PY_OPS + lines('', '', "LIMITS = {'low':1,'high' : 10}"),
  },
  'eval-input': {
    'calc/evaluate.py': lines('def evaluate(expression):', '    return eval(expression)'),
    'tests/test_evaluate.py': lines('from calc.evaluate import evaluate', '', '', 'def test_evaluate():', '    assert evaluate("1 + 2") == 3'),
  },
  'aws-key': {
    'calc/ops.py': PY_OPS + lines('', '', `AWS_ACCESS_KEY_ID = "${PLANTED_AWS_KEY_ID}"`, `AWS_SECRET_ACCESS_KEY = "${PLANTED_AWS_SECRET_KEY}"`),
  },
} satisfies Record<string, FileChanges>;

export type PythonVariant = keyof typeof PYTHON_VARIANTS;

export const buildPythonFixture = (): Promise<GateFixture> => buildFixture(PY_BASE, PYTHON_VARIANTS);
