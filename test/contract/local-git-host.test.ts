import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbPullRequestStore } from '../../lambdas/adapters/dynamodb/dynamodb-pull-request-store.js';
import { LocalGitHost } from '../../lambdas/adapters/local-git/local-git-host.js';
import { MemoryPullRequestStore } from '../../lambdas/adapters/memory/memory-pull-request-store.js';
import {
  InvalidBranchNameError,
  InvalidRepositoryNameError,
  InvalidRepositorySourceError,
  RepoAlreadyExistsError,
} from '../../lambdas/ports/git-host.js';
import { systemClock } from '../../lambdas/ports/clock.js';
import { freshTable } from '../support/dynamodb.js';
import { ids } from '../support/fixtures.js';
import { commitToBranch, git, makeSourceRepo, removeTempDirs, tempDir } from '../support/local-git.js';
import { describeGitHostContract, type GitHostUnderTest } from './git-host.contract.js';

const clients: DynamoDBDocumentClient[] = [];
afterAll(async () => {
  clients.forEach((client) => client.destroy());
  await removeTempDirs();
});

// One imported repository for the whole suite, as the GitHub host's scratch repository would be:
// the contract makes unique branches per test, so sharing it is part of what it checks.
let shared: Promise<GitHostUnderTest> | undefined;

describeGitHostContract('local bare repositories, pull requests in DynamoDB Local', () => {
  shared ??= (async () => {
    const { client, tableName } = await freshTable('git-host');
    clients.push(client);
    const host = new LocalGitHost({
      dataDir: await tempDir(),
      pullRequests: new DynamoDbPullRequestStore({ client, tableName, clock: systemClock, ids }),
    });
    await host.importRepository('demo', await makeSourceRepo());
    return {
      host,
      repo: 'demo',
      baseBranch: 'main',
      commitFiles: (branch, files, message) => commitToBranch(host, 'demo', branch, files, message),
    };
  })();
  return shared;
});

describe('LocalGitHost', () => {
  let host: LocalGitHost;

  beforeEach(async () => {
    host = new LocalGitHost({ dataDir: await tempDir(), pullRequests: new MemoryPullRequestStore({ clock: systemClock, ids }) });
  });

  describe('importRepository', () => {
    it('imports a local repository as a bare clone and lists it with its branches', async () => {
      const source = await makeSourceRepo({ 'README.md': '# app\n' }, 'trunk');
      await git(['branch', 'release'], { cwd: source });

      const imported = await host.importRepository('app', source);

      expect(imported).toEqual({ name: 'app', defaultBranch: 'trunk', branches: ['release', 'trunk'] });
      expect(await host.listRepositories()).toEqual([imported]);
      expect(await host.readFile('app', 'trunk', 'README.md')).toBe('# app\n');
      const bare = await git(['rev-parse', '--is-bare-repository'], { cwd: join(host.reposDir, 'app.git') });
      expect(bare.stdout.toString().trim()).toBe('true');
    });

    it('imports from a file:// URL, from a bare repository and under an owner/name, listing repositories by name', async () => {
      const source = await makeSourceRepo();

      await host.importRepository('zeta', source);
      await host.importRepository('acme/widgets', pathToFileURL(source).href);

      await host.importRepository('copy', await host.gitDir('zeta'));

      expect((await host.listRepositories()).map((repo) => repo.name)).toEqual(['acme/widgets', 'copy', 'zeta']);
      expect(await host.getRepository('acme/widgets')).toEqual({ name: 'acme/widgets', defaultBranch: 'main' });
      expect(await host.branchHead('copy', 'main')).toBe(await host.branchHead('zeta', 'main'));
    });

    it.each(['../escape', 'a b', 'demo.git', '.hidden', 'a/b/c', '-rf', ''])('refuses the name %j', async (name) => {
      await expect(host.importRepository(name, await makeSourceRepo())).rejects.toBeInstanceOf(InvalidRepositoryNameError);
      expect(await host.listRepositories()).toEqual([]);
    });

    it('refuses a name that is taken, keeping the first import', async () => {
      const first = await makeSourceRepo({ 'first.txt': '1\n' });
      await host.importRepository('demo', first);

      await expect(host.importRepository('demo', await makeSourceRepo({ 'second.txt': '2\n' }))).rejects.toBeInstanceOf(RepoAlreadyExistsError);
      expect(await host.readFile('demo', 'main', 'first.txt')).toBe('1\n');
    });

    it('lets exactly one of two concurrent imports under one name win', async () => {
      const [a, b] = [await makeSourceRepo(), await makeSourceRepo()];

      const results = await Promise.allSettled([host.importRepository('race', a), host.importRepository('race', b)]);

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: expect.any(RepoAlreadyExistsError) });
      expect((await host.listRepositories()).map((repo) => repo.name)).toEqual(['race']);
    });

    it('refuses sources that are not git repositories, with the reason', async () => {
      const plain = await tempDir();
      await writeFile(join(plain, 'file.txt'), 'not a repo\n');
      const inside = join(await makeSourceRepo(), 'sub');
      await mkdir(inside);
      const empty = await tempDir();
      await git(['init', '--quiet', empty]);
      const marker = join(plain, 'pwned');

      const attempts: [string, RegExp][] = [
        [plain, /not a git repository/],
        [inside, /not a git repository/],
        [empty, /no branches/],
        [join(plain, 'missing'), /does not exist/],
        [join(plain, 'file.txt'), /not a directory/],
        ['https://github.com/octo/repo.git', /only local paths/],
        ['git@github.com:octo/repo.git', /only local paths/],
        [`ext::sh -c touch% ${marker}`, /only local paths/],
      ];
      for (const [source, reason] of attempts) {
        const refused = host.importRepository('demo', source);
        await expect(refused, source).rejects.toBeInstanceOf(InvalidRepositorySourceError);
        await expect(refused, source).rejects.toThrow(reason);
      }
      expect(await host.listRepositories()).toEqual([]);
      expect(existsSync(marker)).toBe(false);
    });
  });

  describe('git details', () => {
    beforeEach(async () => {
      await host.importRepository('demo', await makeSourceRepo({ 'shared.txt': 'one\ntwo\n' }));
    });

    it('labels conflict markers with the branch names and commits merges as DSF', async () => {
      await host.ensureBranch('demo', 'dsf/feature', 'main');
      await host.ensureBranch('demo', 'dsf/tasks/x', 'main');
      await commitToBranch(host, 'demo', 'dsf/feature', { 'shared.txt': 'one\nfeature\n' });
      await commitToBranch(host, 'demo', 'dsf/tasks/x', { 'shared.txt': 'one\ntask\n' });
      await host.ensureBranch('demo', 'clean', 'main');
      await commitToBranch(host, 'demo', 'clean', { 'new.txt': 'new\n' });

      const conflict = await host.integrate('demo', { source: 'dsf/tasks/x', target: 'dsf/feature' });
      const merged = await host.integrate('demo', { source: 'clean', target: 'main' });

      expect(conflict).toEqual({
        kind: 'conflict',
        paths: ['shared.txt'],
        files: [{ path: 'shared.txt', content: 'one\n<<<<<<< dsf/feature\nfeature\n=======\ntask\n>>>>>>> dsf/tasks/x\n' }],
      });
      const author = await git(['show', '--no-patch', '--format=%an <%ae> / %cn <%ce>', merged.kind === 'merged' ? merged.commit : ''], {
        cwd: await host.gitDir('demo'),
      });
      expect(author.stdout.toString().trim()).toBe('DSF <dsf@localhost> / DSF <dsf@localhost>');
    });

    it.each(['a..b', 'x.lock', 'a/.hidden', '-x', 'has space', 'a//b'])('refuses to create the branch %j', async (name) => {
      await expect(host.ensureBranch('demo', name, 'main')).rejects.toBeInstanceOf(InvalidBranchNameError);
    });

    it('lets exactly one of two concurrent ensureBranch calls create the branch', async () => {
      const results = await Promise.all([host.ensureBranch('demo', 'dsf/f', 'main'), host.ensureBranch('demo', 'dsf/f', 'main')]);

      expect(results.map((r) => r.created).sort()).toEqual([false, true]);
      expect(results[0]!.commit).toBe(results[1]!.commit);
    });
  });
});
