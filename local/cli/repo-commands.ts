import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { repositorySummarySchema, type RepositorySummary } from '../../lambdas/ports/git-host.js';
import { createJsonRequest } from './api-client.js';

export interface RepoCommandsDeps {
  readonly fetch: typeof fetch;
  /** Raw writes: callers include the newline. */
  readonly stdout: (s: string) => void;
  /** The API base URL for this invocation: the program's own --url / DSF_URL / default resolution. */
  readonly baseUrl: (command: Command) => string;
  /** Relative source paths are made absolute against this, since the server may run elsewhere (default: process.cwd()). */
  readonly cwd?: () => string;
}

const repositoryListSchema = z.object({ items: z.array(repositorySummarySchema) });
const jsonOptionsSchema = z.object({ json: z.boolean().default(false) });

/** `dsf repo add <name> <path-or-url>` and `dsf repo list`, registered on the dsf program. */
export function registerRepoCommands(program: Command, deps: RepoCommandsDeps): Command {
  const out = (line = '') => deps.stdout(`${line}\n`);
  const api = (command: Command) => createRepoApiClient({ baseUrl: deps.baseUrl(command), fetch: deps.fetch });

  const repo = program.command('repo').description('repositories the factory works on (the local git host)');

  repo
    .command('add')
    .description('import a git repository, from a path on this machine or a file:// URL, under a name features can use')
    .argument('<name>', 'name features refer to it by, "name" or "owner/name"')
    .argument('<path-or-url>', 'a local repository (bare or not) or a file:// URL to one')
    .option('--json', 'print the repository as JSON')
    .action(async (name: string, source: string, rawOptions: unknown, command: Command) => {
      const { json } = jsonOptionsSchema.parse(rawOptions);
      const repository = await api(command).addRepository(name, absoluteSource(source, deps.cwd?.() ?? process.cwd()));
      if (json) return out(JSON.stringify(repository, null, 2));
      out(`imported ${repository.name} (default branch ${repository.defaultBranch}, ${plural(repository.branches.length, 'branch', 'branches')})`);
    });

  repo
    .command('list')
    .description('list the repositories, by name')
    .option('--json', 'print {items} as JSON')
    .action(async (rawOptions: unknown, command: Command) => {
      const { json } = jsonOptionsSchema.parse(rawOptions);
      const items = await api(command).listRepositories();
      if (json) return out(JSON.stringify({ items }, null, 2));
      if (items.length === 0) return out('no repositories (add one with: dsf repo add <name> <path>)');
      const rows = [['NAME', 'DEFAULT', 'BRANCHES'], ...items.map((item) => [item.name, item.defaultBranch, String(item.branches.length)])];
      const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
      for (const row of rows) out(row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '));
    });

  return repo;
}

/** A URL stays as it is; a path becomes absolute here, where the user typed it, not where the server runs. */
function absoluteSource(source: string, cwd: string): string {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(source) ? source : resolve(cwd, source);
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function createRepoApiClient(options: { baseUrl: string; fetch: typeof fetch }) {
  const { baseUrl, request } = createJsonRequest(options);
  return {
    baseUrl,
    addRepository: async (name: string, source: string): Promise<RepositorySummary> =>
      (await request('POST', '/repos', repositorySummarySchema, { body: { name, source } })).data,
    listRepositories: async (): Promise<RepositorySummary[]> => (await request('GET', '/repos', repositoryListSchema)).data.items,
  };
}
