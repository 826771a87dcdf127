import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateReportSchema } from '../../lambdas/core/gate-policy.js';
import { buildFixture, buildNodeFixture, type GateFixture } from '../support/gate-fixtures.js';
import { git, removeTempDirs } from '../support/local-git.js';

/** `dsf gate` as a user runs it: the real bin, a real process, a repository it has never seen. */
async function dsfGate(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/dsf.mjs', 'gate', ...args], { encoding: 'utf8', timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let node: GateFixture;
beforeAll(async () => {
  node = await buildNodeFixture();
});
afterAll(() => removeTempDirs());

describe.concurrent('dsf gate', () => {
  it('exits 0 and prints a JSON report when every gate passes; base defaults to the merge-base with main', async () => {
    const run = await dsfGate(['--repo', node.dir, '--head', 'clean', '--json']);
    expect(run.code).toBe(0);
    const report = gateReportSchema.parse(JSON.parse(run.stdout));
    expect(report).toMatchObject({ passed: true, base: node.base, head: node.commits['clean'] });
  });

  it('exits 1 with a one-line reason when a gate fails, after printing the Markdown report', async () => {
    const run = await dsfGate(['--repo', node.dir, '--base', 'main', '--head', 'lint-error']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('## Quality gates');
    expect(run.stdout).toContain('| lint | ❌ failed |');
    expect(run.stderr).toBe('dsf: quality gates failed: lint\n');
  });

  it('exits 2 with one line for a ref that is not a commit', async () => {
    const run = await dsfGate(['--repo', node.dir, '--head', 'no-such-branch']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^dsf: "no-such-branch" is not a commit in .*\n$/);
  });

  it('exits 2 naming the file and the field of a bad config', async () => {
    const fixture = await buildFixture({ 'README.md': '# x\n', '.dsf.yml': 'coverage:\n  diffLines: lots\n' }, {});
    await writeFile(join(fixture.dir, 'NOTES.md'), 'more\n');
    await git(['add', 'NOTES.md'], { cwd: fixture.dir });
    await git(['commit', '--quiet', '-m', 'notes'], { cwd: fixture.dir });
    const run = await dsfGate(['--repo', fixture.dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^dsf: \.dsf\.yml: coverage\.diffLines: .*number.*\n$/);
  });
});
