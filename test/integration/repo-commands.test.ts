import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { basename, dirname } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LocalGitHost } from '../../lambdas/adapters/local-git/local-git-host.js';
import { MemoryPullRequestStore } from '../../lambdas/adapters/memory/memory-pull-request-store.js';
import { systemClock } from '../../lambdas/ports/clock.js';
import { repositorySummarySchema } from '../../lambdas/ports/git-host.js';
import { repoRoutes } from '../../lambdas/http/routes/repo-routes.js';
import { createApiGatewayServer } from '../../local/api-gateway-server.js';
import { ApiError, ConnectionError } from '../../local/cli/api-client.js';
import { registerRepoCommands } from '../../local/cli/repo-commands.js';
import { ids, silentLogger } from '../support/fixtures.js';
import { makeSourceRepo, removeTempDirs, tempDir } from '../support/local-git.js';

let server: Server;
let url: string;
let source: string;

beforeAll(async () => {
  const host = new LocalGitHost({ dataDir: await tempDir(), pullRequests: new MemoryPullRequestStore({ clock: systemClock, ids }) });
  server = createApiGatewayServer(repoRoutes.map((route) => ({ routeKey: route.routeKey, handler: route.create({ logger: silentLogger(), repositories: host }) })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  source = await makeSourceRepo();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await removeTempDirs();
});

/**
 * A dsf program with just the global --url option and the repo commands, run
 * in-process against the test server. Built here rather than by createProgram,
 * so the tests mean the same before and after program.ts registers the commands.
 */
function dsf(cwd = process.cwd(), baseUrl?: string) {
  const stdout: string[] = [];
  const program = new Command('dsf')
    .option('--url <url>')
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  registerRepoCommands(program, {
    fetch,
    stdout: (s) => void stdout.push(s),
    baseUrl: (command: Command) => baseUrl ?? z.object({ url: z.string() }).parse(command.optsWithGlobals()).url,
    cwd: () => cwd,
  });
  return {
    run: (...args: string[]) => program.parseAsync(['--url', url, ...args], { from: 'user' }),
    output: () => stdout.join(''),
  };
}

describe('dsf repo', () => {
  it('adds a repository from a path relative to where it runs, then lists it', async () => {
    const add = dsf(dirname(source));
    await add.run('repo', 'add', 'demo', basename(source));

    const list = dsf();
    await list.run('repo', 'list');

    expect(add.output()).toBe('imported demo (default branch main, 1 branch)\n');
    expect(list.output()).toBe('NAME  DEFAULT  BRANCHES\ndemo  main     1\n');
  });

  it('prints JSON with --json', async () => {
    const add = dsf();
    await add.run('repo', 'add', 'acme/widgets', `file://${source}`, '--json');
    const list = dsf();
    await list.run('repo', 'list', '--json');

    expect(repositorySummarySchema.parse(JSON.parse(add.output()))).toEqual({ name: 'acme/widgets', defaultBranch: 'main', branches: ['main'] });
    const listed = z.object({ items: z.array(repositorySummarySchema) }).parse(JSON.parse(list.output()));
    expect(listed.items.map((item) => item.name)).toEqual(['acme/widgets', 'demo']);
  });

  it('reports what the API refused, in one line with the offending field', async () => {
    const missing = `${await tempDir()}/nothing-here`;

    await expect(dsf().run('repo', 'add', 'demo', source)).rejects.toThrow(/^409 Conflict: repository demo already exists$/);
    await expect(dsf().run('repo', 'add', 'other', missing)).rejects.toThrow(/^422 Not a git repository: \/source: it does not exist$/);
    await expect(dsf().run('repo', 'add', 'bad name', source)).rejects.toBeInstanceOf(ApiError);
  });

  it('says when the server cannot be reached', async () => {
    await expect(dsf(process.cwd(), 'http://127.0.0.1:9').run('repo', 'list')).rejects.toBeInstanceOf(ConnectionError);
  });

  it('refuses a missing argument as a usage error', async () => {
    await expect(dsf().run('repo', 'add', 'demo')).rejects.toBeInstanceOf(CommanderError);
  });
});
