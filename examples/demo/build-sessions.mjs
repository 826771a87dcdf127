#!/usr/bin/env node
// Writes the scripted model sessions the demo replays (examples/demo/sessions/*.jsonl)
// from the files in examples/demo/solution/: what the agents "answer" is recorded here,
// turn by turn, as a model would act with DSF's tools. Run it after editing either:
//   node examples/demo/build-sessions.mjs
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const solution = (path) => readFileSync(join(here, 'solution', path), 'utf8');
const MODEL = 'claude-sonnet-4-5';
// Simulated model latency of a first answer. The two docs tasks both edit the changelog's
// "Unreleased" line; a pause before their first edit lets both cut their branch from the same
// feature head, so the second to merge meets a real conflict for the conflict agent.
const THINKING_MS = 1500;

let callId = 0;
const tool = (name, input) => ({ type: 'tool_use', id: `call_${++callId}`, name, input });
const text = (value) => ({ type: 'text', text: value });
const turn = (expect, content, usage, extra = {}) => ({ expect, content, usage: { inputTokens: usage[0], outputTokens: usage[1] }, model: MODEL, ...extra });

const testsPass = (role, after) => [
  turn({ role, toolResults: after, isError: false }, [text('Running the test suite.'), tool('run', { script: 'test' })], [5200, 60]),
];
const finish = (role, summary, resultIncludes) =>
  turn({ role, toolResults: ['run'], resultIncludes, isError: false }, [tool('finish', { summary })], [6100, 140]);

const README_API_LINE = '- `GET /books/:id` — one book, or 404\n';
const README_STORAGE_LINE = 'The catalogue is built in; nothing is stored yet.\n';
const CHANGELOG_TODO = '- (nothing yet)\n';
const CHANGELOG_API = '- Ratings API: `POST /books/:id/ratings` and `GET /books/:id/ratings`.\n';
const CHANGELOG_STORE = '- Ratings are stored in memory per book (`src/ratings-store.js`).\n';

const sessions = {
  'bookshelf-store': [
    turn({ role: 'code', textIncludes: ['Keep ratings per book'] }, [text('I will follow the style of the catalogue module.'), tool('read_file', { path: 'src/books.js' })], [2400, 90]),
    turn(
      { role: 'code', toolResults: ['read_file'], resultIncludes: ['export function listBooks'], isError: false },
      [
        text('Adding an in-memory store with add and summary, and its tests.'),
        tool('write_file', { path: 'src/ratings-store.js', content: solution('src/ratings-store.js') }),
        tool('write_file', { path: 'test/ratings-store.test.js', content: solution('test/ratings-store.test.js') }),
      ],
      [3100, 820],
    ),
    ...testsPass('code', ['write_file', 'write_file']),
    finish('code', 'Added src/ratings-store.js (add, summary with a one-decimal average, null when unrated) and its tests.', ['# fail 0']),
  ],
  'bookshelf-validate': [
    turn({ role: 'code', textIncludes: ['Validate star ratings'] }, [text('Checking how the project is laid out.'), tool('list_files', {})], [2300, 60]),
    turn(
      { role: 'code', toolResults: ['list_files'], resultIncludes: ['src/server.js'], isError: false },
      [
        text('Adding parseStars and its tests.'),
        tool('write_file', { path: 'src/validate.js', content: solution('src/validate.js') }),
        tool('write_file', { path: 'test/validate.test.js', content: solution('test/validate.test.js') }),
      ],
      [2900, 610],
    ),
    ...testsPass('code', ['write_file', 'write_file']),
    finish('code', 'Added src/validate.js: parseStars accepts whole stars 1–5 and explains anything else; tests cover both.', ['# fail 0']),
  ],
  'bookshelf-endpoint': [
    turn({ role: 'code', textIncludes: ['Add the ratings endpoints'] }, [text('Reading the server first.'), tool('read_file', { path: 'src/server.js' })], [2600, 70]),
    turn(
      { role: 'code', toolResults: ['read_file'], resultIncludes: ['createServer'], isError: false },
      [text('Routing /books/:id/ratings to the store, with parseStars for POST bodies.'), tool('write_file', { path: 'src/server.js', content: solution('src/server.js') })],
      [3600, 1150],
    ),
    ...testsPass('code', ['write_file']),
    finish('code', 'Added POST and GET /books/:id/ratings (201/200 with the summary, 400 for bad ratings, 404 for unknown books, 405 otherwise).', ['# fail 0']),
  ],
  'bookshelf-tests': [
    turn({ role: 'test', textIncludes: ['Test the ratings API'] }, [text('Reading the routes I am to test.'), tool('read_file', { path: 'src/server.js' })], [2700, 70]),
    turn(
      { role: 'test', toolResults: ['read_file'], resultIncludes: ['/ratings'], isError: false },
      [text('Testing every answer over real HTTP on a free port.'), tool('write_file', { path: 'test/ratings-api.test.js', content: solution('test/ratings-api.test.js') })],
      [3900, 980],
    ),
    ...testsPass('test', ['write_file']),
    finish('test', 'Added test/ratings-api.test.js: 201, 200, 400 (bad stars, not JSON), 404 and 405 asserted over HTTP.', ['# fail 0']),
  ],
  'bookshelf-docs-api': [
    turn({ role: 'code', textIncludes: ['Document the ratings API'] }, [text('Reading the README.'), tool('read_file', { path: 'README.md' })], [2200, 50], { delayMs: THINKING_MS }),
    turn(
      { role: 'code', toolResults: ['read_file'], resultIncludes: ['## API'], isError: false },
      [
        text('Listing both endpoints and adding a changelog entry.'),
        tool('edit_file', {
          path: 'README.md',
          search: README_API_LINE,
          replace: `${README_API_LINE}- \`POST /books/:id/ratings\` — rate a book with \`{ "stars": 1..5 }\`: 201 with \`{ count, average }\`, 400 for a bad rating, 404 for an unknown book\n- \`GET /books/:id/ratings\` — \`{ count, average }\`, the average to one decimal (null when unrated)\n`,
        }),
        tool('edit_file', { path: 'CHANGELOG.md', search: CHANGELOG_TODO, replace: CHANGELOG_API }),
      ],
      [2800, 260],
    ),
    turn({ role: 'code', toolResults: ['edit_file', 'edit_file'], isError: false }, [tool('finish', { summary: 'Documented both ratings endpoints in the README and the changelog.' })], [3200, 40]),
  ],
  'bookshelf-docs-store': [
    turn({ role: 'code', textIncludes: ['Document how ratings are stored'] }, [text('Reading the README.'), tool('read_file', { path: 'README.md' })], [2200, 50], { delayMs: THINKING_MS }),
    turn(
      { role: 'code', toolResults: ['read_file'], resultIncludes: ['## Storage'], isError: false },
      [
        text('Describing the in-memory store and adding a changelog entry.'),
        tool('edit_file', {
          path: 'README.md',
          search: README_STORAGE_LINE,
          replace:
            'The catalogue is built in. Ratings are kept in memory per book (`src/ratings-store.js`), so they are lost when the server restarts; the store\'s `add` and `summary` are the seam a database would replace.\n',
        }),
        tool('edit_file', { path: 'CHANGELOG.md', search: CHANGELOG_TODO, replace: CHANGELOG_STORE }),
      ],
      [2800, 240],
    ),
    turn({ role: 'code', toolResults: ['edit_file', 'edit_file'], isError: false }, [tool('finish', { summary: 'Documented the in-memory ratings store in the README and the changelog.' })], [3200, 40]),
  ],
  'bookshelf-review': [
    turn({ role: 'review', textIncludes: ['Review the ratings feature'] }, [text('Reading the new routes against the criteria.'), tool('read_file', { path: 'src/server.js' })], [9800, 80]),
    turn(
      { role: 'review', toolResults: ['read_file'], resultIncludes: ['parseStars'], isError: false },
      [
        tool('finish', {
          summary: 'The ratings feature meets every acceptance criterion and every quality gate passed.',
          verdict: {
            decision: 'approve',
            reasons: [
              'POST /books/:id/ratings answers 201 with the summary, 400 for bad ratings, 404 for unknown books',
              'GET /books/:id/ratings averages to one decimal and is null when unrated',
              'README and changelog document the API and the in-memory storage',
              'Tests cover every answer; the gates passed',
            ],
          },
        }),
      ],
      [11200, 310],
    ),
  ],
};

// The conflict agent's session, for whichever docs task merges second: read the marked
// changelog, keep both entries, finish. (Only the task that meets the conflict replays it.)
const conflict = () => [
  turn({ role: 'conflict', textIncludes: ['CHANGELOG.md'] }, [text('Reading the conflicted changelog.'), tool('read_file', { path: 'CHANGELOG.md' })], [2500, 50]),
  turn(
    { role: 'conflict', toolResults: ['read_file'], resultIncludes: ['<<<<<<<', 'Ratings'], isError: false },
    [
      text('Both sides add an entry under Unreleased; keeping both.'),
      tool('write_file', {
        path: 'CHANGELOG.md',
        content: `# Changelog\n\n## Unreleased\n\n${CHANGELOG_API}${CHANGELOG_STORE}\n## 1.0.0\n\n- The catalogue: \`GET /books\` and \`GET /books/:id\`.\n`,
      }),
    ],
    [2900, 160],
  ),
  turn({ role: 'conflict', toolResults: ['write_file'], isError: false }, [tool('finish', { summary: 'Kept both Unreleased entries of the changelog.' })], [3100, 30]),
];
sessions['bookshelf-docs-api.conflict'] = conflict();
sessions['bookshelf-docs-store.conflict'] = conflict();

const out = join(here, 'sessions');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const [name, turns] of Object.entries(sessions)) {
  writeFileSync(join(out, `${name}.jsonl`), `${turns.map((line) => JSON.stringify(line)).join('\n')}\n`);
}
console.log(`wrote ${Object.keys(sessions).length} sessions to ${out}`);
