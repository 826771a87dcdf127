import { describe, expect, it } from 'vitest';
import { featureSchema, type Feature, type FeatureStatus } from '../../lambdas/core/feature.js';
import { featureEventSchema, type FeatureEvent } from '../../lambdas/core/feature-event.js';
import { taskSchema, type Task } from '../../lambdas/core/task.js';
import { summarizeTasks } from '../../lambdas/use-cases/features.js';
import { runCli, createProgram, type CliIo } from '../../local/cli/program.js';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const featureId = (n: number) => `feat_${String(n).padStart(26, '0')}`;
const eventId = (n: number) => String(n).padStart(26, '0');

function aFeature(overrides: Partial<Feature> = {}): Feature {
  return featureSchema.parse({
    id: featureId(1),
    title: 'Add a health endpoint',
    description: 'GET /health returns 200.',
    repo: 'demo',
    baseBranch: 'main',
    status: 'queued',
    taskIds: [],
    createdAt: '2026-11-25T09:55:00.000Z',
    updatedAt: '2026-11-25T09:55:00.000Z',
    version: 0,
    ...overrides,
  });
}

function aTask(overrides: Partial<Task> = {}): Task {
  return taskSchema.parse({
    id: 'route',
    featureId: featureId(1),
    title: 'Add the route',
    description: '',
    agentType: 'code',
    dependsOn: [],
    acceptanceCriteria: [],
    status: 'pending',
    attempts: 0,
    createdAt: '2026-11-25T09:55:00.000Z',
    updatedAt: '2026-11-25T09:55:00.000Z',
    version: 0,
    ...overrides,
  });
}

const problem = (status: number, body: Record<string, unknown>) =>
  new Response(JSON.stringify({ type: 'about:blank', status, ...body }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

/**
 * The DSF API as a tiny in-memory router answering real Responses; the API
 * itself is tested against the real handlers in test/integration.
 */
class FakeDsf {
  readonly features = new Map<string, Feature>();
  readonly tasks = new Map<string, Task[]>();
  readonly events = new Map<string, FeatureEvent[]>();
  readonly requests: Request[] = [];
  /** Page size the fake uses for GET /features, whatever the client asks, to exercise cursors. */
  featurePageSize = 100;
  submitResponse: ((request: Request) => Response | Promise<Response>) | undefined;
  private eventCounter = 0;

  add(feature: Feature, tasks: Task[] = []): Feature {
    this.features.set(feature.id, feature);
    this.tasks.set(feature.id, tasks);
    this.events.set(feature.id, []);
    this.event(feature.id, { type: 'feature.created', taskCount: tasks.length });
    return feature;
  }

  event(id: string, body: Record<string, unknown>): FeatureEvent {
    this.eventCounter += 1;
    const event = featureEventSchema.parse({
      featureId: id,
      id: eventId(this.eventCounter),
      at: new Date(NOW.getTime() + this.eventCounter * 1000).toISOString(),
      ...body,
    });
    this.events.get(id)!.push(event);
    return event;
  }

  setStatus(id: string, to: FeatureStatus, reason?: string): void {
    const feature = this.features.get(id)!;
    this.event(id, { type: 'feature.status', from: feature.status, to, ...(reason ? { reason } : {}) });
    this.features.set(id, { ...feature, status: to, ...(reason ? { statusReason: reason } : {}) });
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    this.requests.push(request.clone());
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname}`;
    const notFound = (id: string) => problem(404, { title: 'Not found', detail: `feature ${id} does not exist`, instance: url.pathname });

    if (route === 'POST /features') {
      if (this.submitResponse) return this.submitResponse(request);
      const body = (await request.json()) as { title: string; description: string; repo?: string; baseBranch?: string };
      const feature = this.add(aFeature({ id: featureId(this.features.size + 1), ...body }));
      return Response.json(feature, { status: 202, headers: { location: `/features/${feature.id}` } });
    }
    if (route === 'GET /features') {
      const all = [...this.features.values()].sort((a, b) => b.id.localeCompare(a.id));
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const size = Math.min(Number(url.searchParams.get('limit') ?? 20), this.featurePageSize);
      const items = all.slice(start, start + size);
      return Response.json({ items, ...(start + size < all.length ? { nextCursor: String(start + size) } : {}) });
    }
    const match = /^\/features\/([^/]+)(\/tasks|\/events|\/cancel)?$/.exec(url.pathname);
    const id = decodeURIComponent(match?.[1] ?? '');
    const feature = this.features.get(id);
    if (!match) return problem(404, { title: 'Not found', detail: `No route for ${route}` });
    if (!feature) return notFound(id);
    const tasks = this.tasks.get(id)!;
    switch (`${request.method} ${match[2] ?? ''}`) {
      case 'GET ':
        return Response.json({ ...feature, taskSummary: summarizeTasks(tasks) });
      case 'GET /tasks':
        return Response.json({ items: tasks });
      case 'GET /events': {
        const after = url.searchParams.get('after') ?? '';
        const items = this.events.get(id)!.filter((event) => event.id > after);
        return Response.json({ items, ...(items.length > 0 ? { lastEventId: items.at(-1)!.id } : {}) });
      }
      case 'POST /cancel':
        if (feature.status === 'merged' || feature.status === 'failed' || feature.status === 'cancelled') {
          return problem(409, { title: 'Conflict with current status', detail: `feature ${id} cannot go from ${feature.status} to cancelled` });
        }
        this.setStatus(id, 'cancelled', 'cancelled by request');
        return Response.json(this.features.get(id));
      default:
        return problem(405, { title: 'Method not allowed' });
    }
  };
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  sleeps: number[];
}

async function run(
  argv: string[],
  options: { server?: FakeDsf; fetch?: typeof fetch; env?: Record<string, string>; onSleep?: (n: number) => void } = {},
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const sleeps: number[] = [];
  const io: CliIo = {
    fetch: options.fetch ?? options.server?.fetch ?? (new FakeDsf().fetch),
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: options.env ?? {},
    now: () => NOW,
    sleep: async (ms) => {
      sleeps.push(ms);
      if (sleeps.length > 20) throw new Error('follow did not stop');
      options.onSleep?.(sleeps.length);
    },
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr, sleeps };
}

describe('dsf submit', () => {
  it('submits and prints the id, title, status and URL', async () => {
    const server = new FakeDsf();

    const result = await run(
      ['submit', '--title', 'Add a health endpoint', '--description', 'GET /health', '--repo', 'acme/api', '--base-branch', 'develop', '--idempotency-key', 'k-1'],
      { server },
    );

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`submitted ${featureId(1)} "Add a health endpoint" (queued)\nhttp://127.0.0.1:8787/features/${featureId(1)}\n`);
    const [request] = server.requests;
    expect(request!.headers.get('idempotency-key')).toBe('k-1');
    expect(request!.headers.get('content-type')).toBe('application/json');
    expect(await request!.json()).toEqual({ title: 'Add a health endpoint', description: 'GET /health', repo: 'acme/api', baseBranch: 'develop' });
  });

  it('sends only the fields given and prints the feature with --json', async () => {
    const server = new FakeDsf();

    const result = await run(['submit', '--title', 'T', '--description', 'D', '--json'], { server });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(server.features.get(featureId(1)));
    expect(await server.requests[0]!.json()).toEqual({ title: 'T', description: 'D' });
    expect(server.requests[0]!.headers.has('idempotency-key')).toBe(false);
  });

  it('says when an idempotent submission was replayed', async () => {
    const server = new FakeDsf();
    const existing = server.add(aFeature());
    server.submitResponse = () =>
      Response.json(existing, { status: 202, headers: { location: `/features/${existing.id}`, 'idempotent-replayed': 'true' } });

    const result = await run(['submit', '--title', 'T', '--description', 'D', '--idempotency-key', 'k'], { server });

    expect(result.stdout).toMatch(/^already submitted feat_\d+ "Add a health endpoint" \(queued\)\n/);
  });

  it('turns a 400 problem into one line with the field pointers, exit 1', async () => {
    const server = new FakeDsf();
    server.submitResponse = () =>
      problem(400, {
        title: 'Invalid request',
        detail: 'The request has invalid fields; see errors.',
        errors: [
          { pointer: '/title', detail: 'Too small: expected string to have >=1 characters' },
          { pointer: '/repo', detail: 'must be a repository name like "demo" or "owner/name"' },
        ],
      });

    const result = await run(['submit', '--title', ' ', '--description', 'D', '--repo', 'no good'], { server });

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      'dsf: 400 Invalid request: /title: Too small: expected string to have >=1 characters; /repo: must be a repository name like "demo" or "owner/name"\n',
    );
  });

  it('is a usage error (exit 2) without --title, and calls nothing', async () => {
    const server = new FakeDsf();

    const result = await run(['submit', '--description', 'D'], { server });

    expect(result).toMatchObject({ code: 2, stdout: '', stderr: "dsf: required option '--title <title>' not specified\n" });
    expect(server.requests).toHaveLength(0);
  });
});

describe('dsf list', () => {
  function serverWithFeatures() {
    const server = new FakeDsf();
    server.add(aFeature({ id: featureId(1), title: 'First', status: 'merged', createdAt: '2026-11-23T10:00:00.000Z' }));
    server.add(aFeature({ id: featureId(2), title: 'Second', status: 'running', taskIds: ['a', 'b', 'c'], createdAt: '2026-11-25T07:00:00.000Z' }));
    server.add(aFeature({ id: featureId(3), title: 'Third', status: 'merged', createdAt: '2026-11-25T09:59:30.000Z' }));
    return server;
  }

  it('prints an aligned table, newest first', async () => {
    const result = await run(['list'], { server: serverWithFeatures() });

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `${'ID'.padEnd(featureId(1).length)}  STATUS   TASKS  AGE  TITLE`,
        `${featureId(3)}  merged   0      30s  Third`,
        `${featureId(2)}  running  3      3h   Second`,
        `${featureId(1)}  merged   0      2d   First`,
        '',
      ].join('\n'),
    );
  });

  it('filters by status client-side, following nextCursor to fill the limit', async () => {
    const server = serverWithFeatures();
    server.featurePageSize = 1;

    const result = await run(['list', '--status', 'merged', '--limit', '2', '--json'], { server });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ items: [server.features.get(featureId(3)), server.features.get(featureId(1))] });
    expect(server.requests.map((request) => new URL(request.url).searchParams.get('cursor'))).toEqual([null, '1', '2']);
  });

  it('stops at --limit without a filter', async () => {
    const server = serverWithFeatures();

    const result = await run(['list', '--limit', '1', '--json'], { server });

    expect(JSON.parse(result.stdout)).toEqual({ items: [server.features.get(featureId(3))] });
    expect(new URL(server.requests[0]!.url).searchParams.get('limit')).toBe('1');
  });

  it('says so when nothing matches', async () => {
    const result = await run(['list', '--status', 'failed'], { server: serverWithFeatures() });

    expect(result.stdout).toBe('no failed features\n');
  });

  it.each([
    [['list', '--limit', '0'], "dsf: option '--limit <n>' argument '0' is invalid. must be a positive integer.\n"],
    [['list', '--status', 'done'], "dsf: option '--status <status>' argument 'done' is invalid. Allowed choices are queued, planning, running, gating, pr_open, merged, failed, cancelled, needs_human.\n"],
  ])('rejects %j as a usage error', async (argv, stderr) => {
    const result = await run(argv);

    expect(result).toMatchObject({ code: 2, stderr });
  });
});

describe('dsf status', () => {
  function serverWithTasks() {
    const server = new FakeDsf();
    server.add(aFeature({ status: 'running', taskIds: ['route', 'tests'] }), [
      aTask({ id: 'route', status: 'running', attempts: 2 }),
      aTask({ id: 'tests', title: 'Test the route', agentType: 'test', dependsOn: ['route'] }),
    ]);
    return server;
  }

  it('prints the feature header and one line per task', async () => {
    const result = await run(['status', featureId(1)], { server: serverWithTasks() });

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `${featureId(1)}  Add a health endpoint`,
        '  status:       running',
        '  repo:         demo',
        '  base branch:  main',
        '  tasks:        2 (1 pending, 1 running)',
        '  created:      2026-11-25T09:55:00.000Z (5m ago)',
        '',
        'TASK   STATUS   AGENT  ATTEMPTS  TITLE',
        'route  running  code   2         Add the route',
        'tests  pending  test   0         Test the route',
        '',
      ].join('\n'),
    );
  });

  it('prints {feature, tasks} with --json', async () => {
    const server = serverWithTasks();

    const result = await run(['status', featureId(1), '--json'], { server });

    const printed = JSON.parse(result.stdout) as { feature: { taskSummary: unknown }; tasks: unknown };
    expect(printed.feature).toEqual({ ...server.features.get(featureId(1)), taskSummary: summarizeTasks(server.tasks.get(featureId(1))!) });
    expect(printed.tasks).toEqual(server.tasks.get(featureId(1)));
  });

  it('reports a 404 in one line, exit 1', async () => {
    const result = await run(['status', 'feat_nope']);

    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'dsf: 404 Not found: feature feat_nope does not exist\n' });
  });

  it('follows events, one line each, until the feature is merged', async () => {
    const server = new FakeDsf();
    const id = server.add(aFeature({ status: 'queued' })).id;
    const script = [
      () => server.setStatus(id, 'planning'),
      () => undefined,
      () => {
        server.setStatus(id, 'running');
        server.event(id, { type: 'task.status', taskId: 'route', from: 'queued', to: 'running' });
        server.event(id, { type: 'note', taskId: 'route', message: 'opened\nbranch' });
      },
      () => {
        server.event(id, { type: 'task.status', taskId: 'route', from: 'running', to: 'succeeded' });
        server.setStatus(id, 'gating');
        server.setStatus(id, 'pr_open');
        server.setStatus(id, 'merged', 'PR #7 merged');
      },
    ];

    const result = await run(['status', id, '--follow'], { server, onSleep: (n) => script[n - 1]?.() });

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.sleeps).toEqual([1000, 1000, 1000, 1000]);
    const eventLines = result.stdout.split('\n\n')[1]!;
    expect(eventLines).toBe(
      [
        '2026-11-25T10:00:01Z  feature.created  -             created with 0 tasks',
        '2026-11-25T10:00:02Z  feature.status   -             queued → planning',
        '2026-11-25T10:00:03Z  feature.status   -             planning → running',
        '2026-11-25T10:00:04Z  task.status      route         queued → running',
        '2026-11-25T10:00:05Z  note             route         opened branch',
        '2026-11-25T10:00:06Z  task.status      route         running → succeeded',
        '2026-11-25T10:00:07Z  feature.status   -             running → gating',
        '2026-11-25T10:00:08Z  feature.status   -             gating → pr_open',
        '2026-11-25T10:00:09Z  feature.status   -             pr_open → merged  (PR #7 merged)',
        '',
      ].join('\n'),
    );
    const afters = server.requests
      .filter((request) => request.url.includes('/events'))
      .map((request) => new URL(request.url).searchParams.get('after'));
    expect(afters).toEqual([null, eventId(1), eventId(2), eventId(2), eventId(5)]);
  });

  it('exits 1 with the reason when the followed feature fails, printing NDJSON with --json', async () => {
    const server = new FakeDsf();
    const id = server.add(aFeature({ status: 'running' })).id;

    const result = await run(['status', id, '--follow', '--json'], {
      server,
      onSleep: () => server.setStatus(id, 'failed', 'gate failed 3 times'),
    });

    expect(result).toMatchObject({ code: 1, stderr: `dsf: feature ${id} failed: gate failed 3 times\n` });
    const lines = result.stdout.trimEnd().split('\n').map((line) => featureEventSchema.parse(JSON.parse(line)));
    expect(lines.map((event) => event.type)).toEqual(['feature.created', 'feature.status']);
    expect(lines[1]).toMatchObject({ from: 'running', to: 'failed' });
  });

  it('returns at once when following a feature that has already finished', async () => {
    const server = new FakeDsf();
    const id = server.add(aFeature({ status: 'running' })).id;
    server.setStatus(id, 'cancelled', 'cancelled by request');

    const result = await run(['status', id, '--follow', '--json'], { server });

    expect(result).toMatchObject({ code: 0, sleeps: [] });
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(2);
  });
});

describe('dsf cancel', () => {
  it('cancels and prints the new status, or the feature with --json', async () => {
    const server = new FakeDsf();
    server.add(aFeature({ id: featureId(1) }));
    server.add(aFeature({ id: featureId(2) }));

    const human = await run(['cancel', featureId(1)], { server });
    const json = await run(['cancel', featureId(2), '--json'], { server });

    expect(human.stdout).toBe(`cancelled ${featureId(1)} "Add a health endpoint" (cancelled)\n`);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: featureId(2), status: 'cancelled', statusReason: 'cancelled by request' });
    expect(server.requests.map((request) => `${request.method} ${new URL(request.url).pathname}`)).toEqual([
      `POST /features/${featureId(1)}/cancel`,
      `POST /features/${featureId(2)}/cancel`,
    ]);
  });

  it('reports a conflict in one line, exit 1', async () => {
    const server = new FakeDsf();
    const id = server.add(aFeature({ status: 'merged' })).id;

    const result = await run(['cancel', id], { server });

    expect(result).toMatchObject({ code: 1, stderr: `dsf: 409 Conflict with current status: feature ${id} cannot go from merged to cancelled\n` });
  });
});

describe('server address and failures', () => {
  const refused: typeof fetch = async () => {
    throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8787'), { code: 'ECONNREFUSED' }) });
  };

  it('says the server cannot be reached, exit 1, without a stack', async () => {
    const result = await run(['list'], { fetch: refused });

    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'dsf: cannot reach DSF at http://127.0.0.1:8787 — is it running? (npm start)\n' });
  });

  it('uses DSF_URL, and --url over it', async () => {
    const urls: string[] = [];
    const recording: typeof fetch = async (input) => {
      urls.push(String(input));
      return Response.json({ items: [] });
    };

    await run(['list'], { fetch: recording, env: { DSF_URL: 'http://dsf.test:9000/' } });
    await run(['list', '--url', 'https://other.test'], { fetch: recording, env: { DSF_URL: 'http://dsf.test:9000' } });
    await run(['--url', 'https://other.test/api', 'list'], { fetch: recording });

    expect(urls).toEqual(['http://dsf.test:9000/features?limit=20', 'https://other.test/features?limit=20', 'https://other.test/api/features?limit=20']);
  });

  it('rejects a URL that is not http(s) as a usage error', async () => {
    const result = await run(['list'], { env: { DSF_URL: 'localhost:8787' } });

    expect(result).toMatchObject({ code: 2, stderr: 'dsf: invalid DSF_URL "localhost:8787": must be an http(s) URL\n' });
  });

  it('rejects a response that breaks the contract', async () => {
    const result = await run(['list'], { fetch: async () => Response.json({ items: [{ id: 'x' }] }) });

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^dsf: unexpected response from GET \/features\?limit=20: \/items\/0\/id: .+\n$/);
  });

  it('falls back to the status line when the error body is not a problem', async () => {
    const result = await run(['list'], { fetch: async () => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }) });

    expect(result).toMatchObject({ code: 1, stderr: 'dsf: 502 Bad Gateway\n' });
  });

  it('prints help on stdout with exit 0, and is a usage error for an unknown command', async () => {
    const help = await run(['--help']);
    const unknown = await run(['lsit']);

    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: dsf [options] [command]');
    expect(unknown).toMatchObject({ code: 2, stderr: "dsf: unknown command 'lsit' (Did you mean list?)\n" });
  });

  it('builds a program whose commands are the documented ones', () => {
    const program = createProgram({ fetch: new FakeDsf().fetch, stdout: () => undefined, stderr: () => undefined, env: {} });

    expect(program.commands.map((command) => command.name())).toEqual(['submit', 'list', 'status', 'cancel', 'plan', 'repo', 'gate', 'logs', 'metrics']);
  });
});
