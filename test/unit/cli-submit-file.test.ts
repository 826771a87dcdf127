import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureSchema, type Feature } from '../../lambdas/core/feature.js';
import { featureRequestSchema } from '../../lambdas/core/new-feature.js';
import { loadFeatureFile } from '../../local/cli/feature-file.js';
import { runCli, type CliIo } from '../../local/cli/program.js';

/** POST /features with Idempotency-Key honoured the way the server does: same key, same feature. */
class SubmitServer {
  readonly bodies: unknown[] = [];
  readonly keys: (string | null)[] = [];
  readonly byKey = new Map<string, Feature>();
  failAt: number | undefined;
  private count = 0;

  readonly fetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    if (`${request.method} ${new URL(request.url).pathname}` !== 'POST /features') return new Response(null, { status: 404 });
    const body = featureRequestSchema.parse(await request.json());
    const key = request.headers.get('idempotency-key');
    this.bodies.push(body);
    this.keys.push(key);
    if (this.bodies.length === this.failAt) {
      return Response.json({ title: 'Service unavailable', status: 503 }, { status: 503, headers: { 'content-type': 'application/problem+json' } });
    }
    const existing = key ? this.byKey.get(key) : undefined;
    if (existing) return Response.json(existing, { status: 202, headers: { 'idempotent-replayed': 'true' } });
    this.count += 1;
    const feature = featureSchema.parse({
      id: `feat_${String(this.count).padStart(26, '0')}`,
      title: body.title,
      description: body.description,
      repo: body.repo ?? 'demo',
      baseBranch: body.baseBranch ?? 'main',
      status: 'queued',
      taskIds: [],
      createdAt: '2026-11-25T10:00:00.000Z',
      updatedAt: '2026-11-25T10:00:00.000Z',
      version: 0,
    });
    if (key) this.byKey.set(key, feature);
    return Response.json(feature, { status: 202, headers: { location: `/features/${feature.id}` } });
  };
}

async function run(argv: string[], server = new SubmitServer()) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { fetch: server.fetch, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env: {} };
  const code = await runCli(argv, io);
  return { code, stdout, stderr, server };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dsf-submit-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const twoFeaturesYaml = `
features:
  - title: Add SQLite persistence
    description: Store books in SQLite.
    repo: bookshelf
  - title: Add Redis queue
    description: Queue follow-up work.
`;

describe('dsf submit --from-file', () => {
  it('submits every entry of a YAML file in order, one line each, with an idempotency key per entry', async () => {
    const path = await file('two.yaml', twoFeaturesYaml);

    const result = await run(['submit', '--from-file', path]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      [`submitted feat_${'1'.padStart(26, '0')} "Add SQLite persistence"`, `submitted feat_${'2'.padStart(26, '0')} "Add Redis queue"`, ''].join('\n'),
    );
    expect(result.server.bodies).toEqual([
      { title: 'Add SQLite persistence', description: 'Store books in SQLite.', repo: 'bookshelf' },
      { title: 'Add Redis queue', description: 'Queue follow-up work.' },
    ]);
    expect(result.server.keys).toEqual([expect.stringMatching(/^dsf-file-0-[0-9a-f]{40}$/), expect.stringMatching(/^dsf-file-1-[0-9a-f]{40}$/)]);
  });

  it('returns the same features when the same file is submitted again, whatever its formatting', async () => {
    const server = new SubmitServer();
    const yamlPath = await file('again.yaml', twoFeaturesYaml);
    const jsonPath = await file(
      'again.json',
      JSON.stringify([
        { repo: 'bookshelf', description: 'Store books in SQLite.', title: 'Add SQLite persistence' },
        { title: 'Add Redis queue', description: 'Queue follow-up work.' },
      ]),
    );

    const first = await run(['submit', '--from-file', yamlPath, '--json'], server);
    const second = await run(['submit', '--from-file', jsonPath, '--json'], server);

    const ids = (stdout: string) => stdout.trimEnd().split('\n').map((line) => featureSchema.parse(JSON.parse(line)).id);
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(ids(second.stdout)).toEqual(ids(first.stdout));
    expect(server.byKey.size).toBe(2);
    expect(server.keys.slice(2)).toEqual(server.keys.slice(0, 2));
  });

  it('says which were already submitted', async () => {
    const server = new SubmitServer();
    const path = await file('replay.yaml', twoFeaturesYaml);
    await run(['submit', '--from-file', path], server);

    const again = await run(['submit', '--from-file', path], server);

    expect(again.stdout).toMatch(/^already submitted feat_\d{26} "Add SQLite persistence"\nalready submitted feat_\d{26} "Add Redis queue"\n$/);
  });

  it.each([
    ['bad-entry.yaml', 'features:\n  - title: Fine\n    description: Fine.\n  - title: No description\n', 'invalid bad-entry.yaml: /features/1/description: Invalid input: expected string, received undefined'],
    ['bad-list.json', '[{"title": "A", "description": "B"}, {"title": "", "description": "D"}]', 'invalid bad-list.json: /1/title: Too small: expected string to have >=1 characters'],
    ['unknown-field.yaml', '- title: A\n  description: B\n  colour: red\n', 'invalid unknown-field.yaml: /0: Unrecognized key: "colour"'],
    ['bad-repo.yaml', '- title: A\n  description: B\n  repo: no good\n', 'invalid bad-repo.yaml: /0/repo: must be a repository name like "demo" or "owner/name"'],
    ['not-a-list.yaml', 'title: A\ndescription: B\n', 'invalid not-a-list.yaml: must be a list of feature requests, or {features: [...]}'],
    ['empty.yaml', 'features: []\n', 'invalid empty.yaml: it lists no features'],
    ['broken.yaml', 'features: [1, 2\nb: c\n', 'invalid broken.yaml: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1:'],
    ['broken.json', '{"features": [', "invalid broken.json: Unexpected end of JSON input"],
  ])('refuses %s in one line, exit 2, submitting nothing', async (name, text, message) => {
    const path = await file(name, text);

    const result = await run(['submit', '--from-file', path]);

    expect(result).toMatchObject({ code: 2, stdout: '', stderr: `dsf: ${message}\n` });
    expect(result.server.bodies).toEqual([]);
  });

  it('is a usage error for a file that does not exist', async () => {
    const result = await run(['submit', '--from-file', join(dir, 'missing.yaml')]);

    expect(result).toMatchObject({ code: 2, stderr: `dsf: cannot read ${join(dir, 'missing.yaml')}: ENOENT\n` });
  });

  it('is a usage error together with --title', async () => {
    const path = await file('with-title.yaml', twoFeaturesYaml);

    const result = await run(['submit', '--from-file', path, '--title', 'T']);

    expect(result).toMatchObject({ code: 2, stderr: "dsf: option '--from-file <path>' cannot be used with option '--title <title>'\n" });
    expect(result.server.bodies).toEqual([]);
  });

  it('names the entry the server refused, exit 1, after printing the ones before it', async () => {
    const server = new SubmitServer();
    server.failAt = 2;
    const path = await file('fails.yaml', twoFeaturesYaml);

    const result = await run(['submit', '--from-file', path], server);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^submitted feat_\d{26} "Add SQLite persistence"\n$/);
    expect(result.stderr).toBe('dsf: entry 1 ("Add Redis queue"): 503 Service unavailable\n');
  });

  it('still requires --title and --description without --from-file', async () => {
    const result = await run(['submit', '--title', 'T']);

    expect(result).toMatchObject({ code: 2, stderr: "dsf: required option '--description <text>' not specified\n" });
    expect(result.server.bodies).toEqual([]);
  });
});

describe('examples/features.yaml', () => {
  it('holds the five build-the-factory features for bookshelf, each valid and left to the planner', async () => {
    const requests = await loadFeatureFile('examples/features.yaml');

    expect(requests.map((request) => request.title)).toEqual([
      'Add GitHub integration',
      'Add SQLite persistence',
      'Add linting and coverage gates',
      'Add Redis queue',
      'Add conflict agent',
    ]);
    for (const request of requests) {
      expect({ title: request.title, repo: request.repo, tasks: request.tasks }).toEqual({ title: request.title, repo: 'bookshelf', tasks: undefined });
      expect(request.description.length).toBeGreaterThan(200);
    }
  });
});
