import { describe, expect, it } from 'vitest';
import { factoryMetrics, type FactoryFeatureMetrics } from '../../lambdas/core/factory-metrics.js';
import { runCli, type CliIo } from '../../local/cli/program.js';

const perFeature = (overrides: Partial<FactoryFeatureMetrics> & Pick<FactoryFeatureMetrics, 'featureId' | 'status'>): FactoryFeatureMetrics => ({
  createdAt: '2026-11-25T10:00:00.000Z',
  leadTimeSeconds: 0,
  tasks: { total: 0, succeeded: 0, failed: 0 },
  tasksPerHour: 0,
  agentSeconds: 0,
  queuedSeconds: 0,
  maxParallelism: 0,
  usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 },
  conflictsResolved: [],
  coverage: {},
  perTask: [],
  ...overrides,
});

const id = (n: number) => `feat_${String(n).padStart(26, '0')}`;

const response = {
  generatedAt: '2026-11-25T11:00:00.000Z',
  ...factoryMetrics([
    perFeature({
      featureId: id(2),
      status: 'running',
      createdAt: '2026-11-25T10:30:00.000Z',
      leadTimeSeconds: 1800,
      tasks: { total: 4, succeeded: 1, failed: 0 },
      agentSeconds: 95,
      maxParallelism: 2,
      usage: { inputTokens: 100, outputTokens: 20, costUsd: 0.0012, calls: 1 },
    }),
    perFeature({
      featureId: id(1),
      status: 'merged',
      leadTimeSeconds: 3725,
      tasks: { total: 3, succeeded: 3, failed: 0 },
      agentSeconds: 600,
      queuedSeconds: 30,
      maxParallelism: 3,
      usage: { inputTokens: 12000, outputTokens: 3000, costUsd: 1.5, calls: 9 },
      conflictsResolved: ['src/server.js'],
      gatePassed: true,
    }),
  ]),
};

async function run(argv: string[], answer: (url: URL) => Response = () => Response.json(response)) {
  let stdout = '';
  let stderr = '';
  const urls: URL[] = [];
  const io: CliIo = {
    fetch: async (input, init) => {
      const url = new URL(new Request(input, init).url);
      urls.push(url);
      return answer(url);
    },
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: {},
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr, urls };
}

describe('dsf metrics', () => {
  it('prints the totals, then one line per feature', async () => {
    const result = await run(['metrics']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.urls.map((url) => `${url.pathname}${url.search}`)).toEqual(['/metrics']);
    expect(result.stdout).toBe(
      [
        'features    2 (1 running, 1 merged)',
        'lead time   median 1h 2m, p90 1h 2m (1 delivered feature)',
        // 4 succeeded tasks from 10:00 to 11:02:05: 4 × 3600 / 3725.
        'tasks       7 (4 succeeded, 0 failed), 3.866 per hour',
        'agent time  11m 35s working, 30s queued for an agent',
        'usage       15120 tokens (12100 in, 3020 out), $1.50, 10 calls',
        'gates       1 of 1 passed (100%)',
        'conflicts   1 file resolved',
        '',
        `FEATURE${' '.repeat(id(1).length - 7)}  STATUS   LEAD TIME  TASKS  PARALLEL  TOKENS  COST`,
        `${id(2)}  running  30m 0s     1/4    2         120     $0.0012`,
        `${id(1)}  merged   1h 2m      3/3    3         15000   $1.50`,
        '',
      ].join('\n'),
    );
  });

  it('passes --limit and prints the response with --json', async () => {
    const result = await run(['metrics', '--limit', '200', '--json']);

    expect(result.code).toBe(0);
    expect(result.urls[0]!.searchParams.get('limit')).toBe('200');
    expect(JSON.parse(result.stdout)).toEqual(response);
  });

  it('says so when there are no features', async () => {
    const result = await run(['metrics'], () => Response.json({ generatedAt: response.generatedAt, ...factoryMetrics([]) }));

    expect(result).toMatchObject({ code: 0, stdout: 'no features\n' });
  });

  it.each(['0', '201', '1.5', 'ten'])('refuses --limit %s as a usage error, calling nothing', async (limit) => {
    const result = await run(['metrics', '--limit', limit]);

    expect(result).toMatchObject({ code: 2, stdout: '', stderr: `dsf: option '--limit <n>' argument '${limit}' is invalid. must be a whole number from 1 to 200.\n` });
    expect(result.urls).toEqual([]);
  });

  it('reports a refusal from the server in one line, exit 1', async () => {
    const result = await run(['metrics'], () =>
      Response.json(
        { title: 'Invalid request', status: 400, errors: [{ pointer: '?limit', detail: 'Too big' }] },
        { status: 400, headers: { 'content-type': 'application/problem+json' } },
      ),
    );

    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'dsf: 400 Invalid request: ?limit: Too big\n' });
  });
});
