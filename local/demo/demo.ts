import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { featureRequestSchema, type FeatureRequest } from '../../lambdas/core/new-feature.js';
import type { RepositoryRegistry } from '../../lambdas/ports/git-host.js';

const run = promisify(execFile);

export const EXAMPLES_DIR = resolve(fileURLToPath(new URL('../../examples', import.meta.url)));
/** The scripted model sessions the demo replays, one file per task and role. */
export const DEMO_SESSIONS_DIR = join(EXAMPLES_DIR, 'demo', 'sessions');
export const DEMO_REPO = 'bookshelf';
/** One demo feature per data directory: a restarted `npm start` finds it instead of submitting another. */
export const DEMO_IDEMPOTENCY_KEY = 'dsf-demo-bookshelf-ratings';

/** The bundled feature request, validated like any submission. */
export async function loadDemoFeature(): Promise<FeatureRequest> {
  const text = await readFile(join(EXAMPLES_DIR, 'demo', 'feature.json'), 'utf8');
  return featureRequestSchema.parse(JSON.parse(text));
}

/**
 * Imports `examples/bookshelf` into the local git host as a repository of its
 * own (one commit on main), unless it is there already.
 */
export async function ensureExampleRepository(registry: RepositoryRegistry): Promise<'imported' | 'present'> {
  const repos = await registry.listRepositories();
  if (repos.some((repo) => repo.name === DEMO_REPO)) return 'present';
  const dir = await mkdtemp(join(tmpdir(), 'dsf-example-'));
  try {
    await cp(join(EXAMPLES_DIR, DEMO_REPO), dir, { recursive: true });
    const git = (...args: string[]) =>
      run('git', args, {
        cwd: dir,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'DSF',
          GIT_AUTHOR_EMAIL: 'dsf@localhost',
          GIT_COMMITTER_NAME: 'DSF',
          GIT_COMMITTER_EMAIL: 'dsf@localhost',
        },
      });
    await git('init', '--quiet', '--initial-branch=main');
    await git('add', '--all');
    await git('commit', '--quiet', '-m', 'bookshelf 1.0.0');
    await registry.importRepository(DEMO_REPO, dir);
    return 'imported';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
