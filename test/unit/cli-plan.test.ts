import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { featureRequestSchema } from '../../lambdas/core/new-feature.js';
import { planFeature, plannedTaskOutputSchema } from '../../lambdas/core/planner.js';
import { runCli, type CliIo } from '../../local/cli/program.js';

const NOTES = { title: 'Notes', description: 'Add a GET /notes endpoint that stores notes in DynamoDB, document it in the README' };

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  fetches: number;
}

/** `dsf plan` runs locally: any network call is counted so a test can assert there was none. */
async function run(argv: string[]): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  let fetches = 0;
  const io: CliIo = {
    fetch: async () => {
      fetches += 1;
      throw new Error('dsf plan must not call the API');
    },
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: { DSF_URL: 'http://127.0.0.1:1' },
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr, fetches };
}

describe('dsf plan', () => {
  it('prints {tasks} as JSON with the planned fields, without calling the API', async () => {
    const result = await run(['plan', '--title', NOTES.title, '--description', NOTES.description, '--json']);

    expect(result).toMatchObject({ code: 0, stderr: '', fetches: 0 });
    const printed = z.strictObject({ tasks: z.array(plannedTaskOutputSchema) }).parse(JSON.parse(result.stdout));
    expect(printed.tasks).toEqual(planFeature(NOTES));
    expect(printed.tasks.map((task) => [task.id, task.kind, task.agentType, task.dependsOn])).toEqual([
      ['db', 'db', 'code', []],
      ['api', 'api', 'code', ['db']],
      ['db-tests', 'tests', 'test', ['db']],
      ['api-tests', 'tests', 'test', ['api']],
      ['docs', 'docs', 'code', ['db', 'api']],
      ['review', 'review', 'review', ['db', 'api', 'db-tests', 'api-tests', 'docs']],
    ]);
    for (const task of printed.tasks) {
      expect(Object.keys(task)).toEqual(expect.arrayContaining(['id', 'title', 'kind', 'agentType', 'dependsOn', 'acceptanceCriteria']));
    }
    // What it prints is a plan `dsf submit` could send as is.
    expect(() => featureRequestSchema.parse({ ...NOTES, tasks: printed.tasks })).not.toThrow();
  });

  it('prints one block per task: id and title, kind/agent, dependencies, estimate and criteria', async () => {
    const result = await run(['plan', '--title', NOTES.title, '--description', NOTES.description]);

    expect(result).toMatchObject({ code: 0, stderr: '', fetches: 0 });
    const [header, ...blocks] = result.stdout.trimEnd().split('\n\n');
    expect(header).toBe('6 tasks (not submitted)');
    expect(blocks).toHaveLength(6);
    expect(blocks[1]).toBe(
      [
        'api  API: GET /notes',
        '  kind:        api/code',
        '  depends on:  db',
        '  estimate:    15m',
        '  criteria:',
        '    - Given the service is running, when a client calls GET /notes, then the response does what the request asks: "Add a GET /notes endpoint that stores notes in DynamoDB"',
        '    - Given the service is running, when a client calls GET /notes with invalid input, then it answers with a 4xx application/problem+json response',
      ].join('\n'),
    );
    expect(blocks[0]).toContain('  depends on:  -\n');
    expect(blocks[5]).toMatch(/^review {2}Review: Notes\n {2}kind: {8}review\/review\n {2}depends on: {2}db, api, db-tests, api-tests, docs\n/);
    expect(result.stdout).not.toMatch(/[ \t]\n/);
  });

  it('plans even a request with nothing recognisable', async () => {
    const result = await run(['plan', '--title', 'Make it faster', '--description', 'Users say it is slow.', '--json']);

    expect(result.code).toBe(0);
    const printed = z.object({ tasks: z.array(z.object({ id: z.string() })) }).parse(JSON.parse(result.stdout));
    expect(printed.tasks.map((task) => task.id)).toEqual(['general', 'general-tests', 'review']);
  });

  it.each([
    [['plan', '--description', 'D'], "dsf: required option '--title <title>' not specified\n"],
    [['plan', '--title', 'T'], "dsf: required option '--description <text>' not specified\n"],
    [['plan', '--title', '   ', '--description', 'D'], 'dsf: invalid --title: must not be empty\n'],
    [['plan', '--title', 'T', '--description', ''], 'dsf: invalid --description: must not be empty\n'],
    [['plan', '--title', 'x'.repeat(201), '--description', 'D'], 'dsf: invalid --title: must be at most 200 characters\n'],
  ])('is a usage error for %j', async (argv, stderr) => {
    const result = await run(argv);

    expect(result).toEqual({ code: 2, stdout: '', stderr, fetches: 0 });
  });

  it('is listed in the help', async () => {
    const result = await run(['--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\n {2}plan \[options\] +show the tasks the planner would make/);
  });
});
