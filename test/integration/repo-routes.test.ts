import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalGitHost } from '../../lambdas/adapters/local-git/local-git-host.js';
import { MemoryPullRequestStore } from '../../lambdas/adapters/memory/memory-pull-request-store.js';
import { systemClock } from '../../lambdas/ports/clock.js';
import { repoRoutes } from '../../lambdas/http/routes/repo-routes.js';
import { createApiGatewayServer } from '../../local/api-gateway-server.js';
import { ids, silentLogger } from '../support/fixtures.js';
import { git, makeSourceRepo, removeTempDirs, tempDir } from '../support/local-git.js';

let server: Server;
let url: string;
let source: string;

beforeAll(async () => {
  const host = new LocalGitHost({ dataDir: await tempDir(), pullRequests: new MemoryPullRequestStore({ clock: systemClock, ids }) });
  server = createApiGatewayServer(repoRoutes.map((route) => ({ routeKey: route.routeKey, handler: route.create({ logger: silentLogger(), repositories: host }) })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  source = await makeSourceRepo({ 'README.md': '# demo\n' });
  await git(['branch', 'develop'], { cwd: source });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await removeTempDirs();
});

const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${url}/repos`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function expectProblem(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const problem = (await response.json()) as { status: number; title: string; detail?: string; errors?: { pointer: string; detail: string }[] };
  expect(problem.status).toBe(status);
  return problem;
}

describe('GET /repos and POST /repos', () => {
  it('lists no repositories before any import', async () => {
    const response = await fetch(`${url}/repos`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ items: [] });
  });

  it('imports a repository with 201 and lists it with its default branch and branches', async () => {
    const response = await post({ name: 'demo', source });

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ name: 'demo', defaultBranch: 'main', branches: ['develop', 'main'] });
    const listed = await (await fetch(`${url}/repos`)).json();
    expect(listed).toEqual({ items: [{ name: 'demo', defaultBranch: 'main', branches: ['develop', 'main'] }] });
  });

  it('answers 409 for a name that is taken', async () => {
    await post({ name: 'taken', source });

    const problem = await expectProblem(await post({ name: 'taken', source }), 409);

    expect(problem.detail).toMatch(/taken already exists/);
  });

  it.each([
    ['a path', { name: '../escape', source: '/tmp' }, '/name'],
    ['spaces', { name: 'my repo', source: '/tmp' }, '/name'],
    ['a .git suffix', { name: 'demo.git', source: '/tmp' }, '/name'],
    ['no source', { name: 'demo2' }, '/source'],
    ['an unknown field', { name: 'demo2', source: '/tmp', branch: 'main' }, '/branch'],
  ])('answers 400 for a name or body with %s', async (_case, body, pointer) => {
    const problem = await expectProblem(await post(body), 400);

    expect(problem.errors?.map((error) => error.pointer)).toContain(pointer);
  });

  it.each([
    ['a directory that is not a git repository', async () => tempDir(), /not a git repository/],
    ['a path that does not exist', async () => join(await tempDir(), 'missing'), /does not exist/],
    ['a remote URL', async () => 'https://github.com/octo/repo.git', /only local paths/],
  ])('answers 422 for %s, and imports nothing', async (_case, makeSource, reason) => {
    const problem = await expectProblem(await post({ name: 'never', source: await makeSource() }), 422);

    expect(problem.errors).toEqual([{ pointer: '/source', detail: expect.stringMatching(reason) }]);
    const listed = (await (await fetch(`${url}/repos`)).json()) as { items: { name: string }[] };
    expect(listed.items.map((repo) => repo.name)).not.toContain('never');
  });

  it('answers 400 for malformed JSON, 415 for another media type, 400 for query parameters on the list', async () => {
    await expectProblem(await post('{"name": '), 400);
    await expectProblem(await post({ name: 'x', source }, { 'content-type': 'text/plain' }), 415);
    const problem = await expectProblem(await fetch(`${url}/repos?page=2`), 400);
    expect(problem.errors?.[0]?.pointer).toBe('?page');
  });
});
