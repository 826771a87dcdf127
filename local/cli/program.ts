import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { featureStatuses, featureStatusSchema, isTerminalFeatureStatus, type Feature } from '../../lambdas/core/feature.js';
import type { FeatureEvent } from '../../lambdas/core/feature-event.js';
import { featureRequestSchema } from '../../lambdas/core/new-feature.js';
import { planFeature, type PlannedTaskWithKind } from '../../lambdas/core/planner.js';
import { taskStatuses, type Task } from '../../lambdas/core/task.js';
import { createApiClient, type ApiClient, type FeatureDetail, type TaskSummary } from './api-client.js';
import { registerGateCommand } from './gate-command.js';
import { registerRepoCommands } from './repo-commands.js';
import { registerLogsCommand } from './logs-command.js';
import { registerMetricsCommand } from './metrics-command.js';
import { FeatureFileError, loadFeatureFile, submitFeatureFile } from './feature-file.js';

/** Everything the CLI touches outside itself, so tests drive it without spawning a process or opening a socket. */
export interface CliIo {
  readonly fetch: typeof fetch;
  /** Raw writes: callers include the newline. */
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly env: Record<string, string | undefined>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => Date;
}

export const DEFAULT_URL = 'http://127.0.0.1:8787';
export const EXIT_OK = 0;
/** The API refused, the server was unreachable, or a followed feature failed. */
export const EXIT_FAILURE = 1;
/** The command line itself was wrong. */
export const EXIT_USAGE = 2;

const FOLLOW_POLL_MS = 1_000;
/** The server's own maximum; a full page means more events are waiting, so the next poll does not sleep. */
const EVENTS_PAGE_SIZE = 1_000;
const FEATURES_PAGE_MAX = 100;
const TITLE_COLUMN_MAX = 60;

/** A followed feature ended `failed`: the one non-usage failure that is not an error of the CLI itself. */
export class FeatureFailedError extends Error {
  constructor(feature: Feature) {
    super(`feature ${feature.id} failed${feature.statusReason ? `: ${feature.statusReason}` : ''}`);
    this.name = 'FeatureFailedError';
  }
}

const baseUrlSchema = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const jsonFlag = z.boolean().default(false);
const submitOptionsSchema = z.object({
  title: z.string().optional(),
  description: z.string().optional(),
  fromFile: z.string().optional(),
  repo: z.string().optional(),
  baseBranch: z.string().optional(),
  idempotencyKey: z.string().optional(),
  json: jsonFlag,
});
const listOptionsSchema = z.object({
  limit: z.number().int().positive().default(20),
  status: featureStatusSchema.optional(),
  json: jsonFlag,
});
const statusOptionsSchema = z.object({ follow: z.boolean().default(false), json: jsonFlag });
const cancelOptionsSchema = z.object({ json: jsonFlag });
/** The same limits the server puts on a submission, so a plan previewed here is one that could be submitted. */
const planOptionsSchema = z.object({
  title: featureRequestSchema.shape.title,
  description: featureRequestSchema.shape.description,
  json: jsonFlag,
});
const globalOptionsSchema = z.object({ url: z.string().optional() });

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < 1) {
    throw new InvalidArgumentError('must be a positive integer.');
  }
  return parsed;
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

export function createProgram(io: CliIo): Command {
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = io.now ?? (() => new Date());
  const out = (line = '') => io.stdout(`${line}\n`);
  const printJson = (value: unknown) => out(JSON.stringify(value, null, 2));

  const program = new Command('dsf')
    .description('Talk to a DSF software factory: submit features, watch them, cancel them.')
    .option('--url <url>', `DSF API base URL (env DSF_URL, default ${DEFAULT_URL})`)
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (message, write) => write(`dsf: ${oneLine(message.replace(/^error: /, ''))}\n`),
    })
    .showSuggestionAfterError(true);

  function client(command: Command): ApiClient {
    const { url } = globalOptionsSchema.parse(command.optsWithGlobals());
    const [source, raw] = url !== undefined ? ['--url', url] : io.env['DSF_URL'] ? ['DSF_URL', io.env['DSF_URL']] : ['default', DEFAULT_URL];
    const parsed = baseUrlSchema.safeParse(raw);
    if (!parsed.success) command.error(`invalid ${source} "${raw}": must be an http(s) URL`, { exitCode: EXIT_USAGE });
    return createApiClient({ baseUrl: parsed.data, fetch: io.fetch });
  }

  program
    .command('submit')
    .description('submit a feature request; the planner breaks it into tasks')
    .option('--title <title>', 'one-line title (required without --from-file)')
    .option('--description <text>', 'what to build and why (required without --from-file)')
    .option('--repo <repo>', 'target repository, "name" or "owner/name" (server default otherwise)')
    .option('--base-branch <branch>', 'branch to build on and merge into (server default otherwise)')
    .option('--idempotency-key <key>', 'resubmitting with the same key returns the first feature instead of a new one')
    .addOption(
      new Option('--from-file <path>', 'submit every feature request in a YAML or JSON file (a list, or {features: [...]}); re-running it submits no duplicates')
        .conflicts(['title', 'description', 'repo', 'baseBranch', 'idempotencyKey']),
    )
    .option('--json', 'print the feature as JSON (with --from-file, one feature per line)')
    .action(async (rawOptions: unknown, command: Command) => {
      const options = submitOptionsSchema.parse(rawOptions);
      if (options.fromFile !== undefined) {
        const requests = await loadFeatureFile(options.fromFile).catch((error: unknown) => {
          if (error instanceof FeatureFileError) command.error(error.message, { exitCode: EXIT_USAGE });
          throw error;
        });
        return submitFeatureFile(client(command), requests, ({ feature, replayed }) =>
          out(options.json ? JSON.stringify(feature) : `${replayed ? 'already submitted' : 'submitted'} ${feature.id} ${JSON.stringify(feature.title)}`),
        );
      }
      // Checked here rather than by requiredOption, which would also demand them alongside --from-file.
      if (options.title === undefined) command.error("required option '--title <title>' not specified", { exitCode: EXIT_USAGE });
      if (options.description === undefined) command.error("required option '--description <text>' not specified", { exitCode: EXIT_USAGE });
      const { feature, url, replayed } = await client(command).submitFeature(
        {
          title: options.title,
          description: options.description,
          ...(options.repo === undefined ? {} : { repo: options.repo }),
          ...(options.baseBranch === undefined ? {} : { baseBranch: options.baseBranch }),
        },
        options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey },
      );
      if (options.json) return printJson(feature);
      out(`${replayed ? 'already submitted' : 'submitted'} ${feature.id} ${JSON.stringify(feature.title)} (${feature.status})`);
      out(url);
    });

  program
    .command('list')
    .description('list features, newest first')
    .option('--limit <n>', 'how many features to show (default 20)', positiveInteger)
    .addOption(new Option('--status <status>', 'only features in this status').choices(featureStatuses))
    .option('--json', 'print {items} as JSON')
    .action(async (rawOptions: unknown, command: Command) => {
      const options = listOptionsSchema.parse(rawOptions);
      const api = client(command);
      const items: Feature[] = [];
      let cursor: string | undefined;
      // The status filter is client-side, so keep paging until the limit is filled or the list ends.
      do {
        const pageSize = options.status ? FEATURES_PAGE_MAX : Math.min(FEATURES_PAGE_MAX, options.limit - items.length);
        const page = await api.listFeatures({ limit: pageSize, ...(cursor === undefined ? {} : { cursor }) });
        items.push(...page.items.filter((feature) => !options.status || feature.status === options.status));
        cursor = page.nextCursor;
      } while (cursor !== undefined && items.length < options.limit);
      const shown = items.slice(0, options.limit);
      if (options.json) return printJson({ items: shown });
      if (shown.length === 0) return out(options.status ? `no ${options.status} features` : 'no features');
      io.stdout(
        table(
          ['ID', 'STATUS', 'TASKS', 'AGE', 'TITLE'],
          shown.map((feature) => [
            feature.id,
            feature.status,
            String(feature.taskIds.length),
            age(feature.createdAt, now()),
            truncate(oneLine(feature.title), TITLE_COLUMN_MAX),
          ]),
        ),
      );
    });

  program
    .command('status')
    .description('show a feature and its tasks; --follow tails its events until it finishes')
    .argument('<id>', 'feature id (feat_...)')
    .option('-f, --follow', 'then print events as they happen, until the feature is merged, failed or cancelled')
    .option('--json', 'print {feature, tasks} as JSON; with --follow, one JSON event per line')
    .action(async (id: string, rawOptions: unknown, command: Command) => {
      const options = statusOptionsSchema.parse(rawOptions);
      const api = client(command);
      const [feature, { items: tasks }] = await Promise.all([api.getFeature(id), api.listTasks(id)]);
      if (!options.follow) {
        if (options.json) return printJson({ feature, tasks });
        return io.stdout(formatFeature(feature, tasks, now()));
      }
      if (!options.json) io.stdout(`${formatFeature(feature, tasks, now())}\n`);
      const printEvent = options.json ? (event: FeatureEvent) => out(JSON.stringify(event)) : (event: FeatureEvent) => out(formatEvent(event));
      const final = await followEvents(api, feature, printEvent, sleep);
      if (final.status === 'failed') throw new FeatureFailedError(final);
    });

  program
    .command('cancel')
    .description('cancel a feature and its unfinished tasks')
    .argument('<id>', 'feature id (feat_...)')
    .option('--json', 'print the feature as JSON')
    .action(async (id: string, rawOptions: unknown, command: Command) => {
      const options = cancelOptionsSchema.parse(rawOptions);
      const feature = await client(command).cancelFeature(id);
      if (options.json) return printJson(feature);
      out(`cancelled ${feature.id} ${JSON.stringify(feature.title)} (${feature.status})`);
    });

  program
    .command('plan')
    .description('show the tasks the planner would make for a feature, locally; nothing is submitted or stored')
    .requiredOption('--title <title>', 'one-line title')
    .requiredOption('--description <text>', 'what to build and why')
    .option('--json', 'print {tasks} as JSON')
    .action((rawOptions: unknown, command: Command) => {
      const parsed = planOptionsSchema.safeParse(rawOptions);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const problem =
          issue.code === 'too_small' ? 'must not be empty' : issue.code === 'too_big' ? `must be at most ${issue.maximum} characters` : issue.message;
        command.error(`invalid --${String(issue.path[0])}: ${problem}`, { exitCode: EXIT_USAGE });
      }
      const tasks = planFeature(parsed.data);
      if (parsed.data.json) return printJson({ tasks });
      io.stdout(formatPlan(tasks));
    });

  registerRepoCommands(program, { ...io, baseUrl: (command) => client(command).baseUrl });
  registerGateCommand(program, io, EXIT_USAGE);
  registerLogsCommand(program, { ...io, sleep, baseUrl: (command) => client(command).baseUrl });
  registerMetricsCommand(program, { stdout: io.stdout, client });
  return program;
}

/** Parses and runs one command line; never throws. Returns the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await createProgram(io).parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    // Commander has already written its one-line message (or the help) through outputError.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    io.stderr(`dsf: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
    return EXIT_FAILURE;
  }
}

/**
 * Prints the feature's events from the start, then polls until it is terminal.
 * The feature is read before its events on every round: a terminal status
 * is written in the same transaction as its event, so once the read says
 * terminal, draining the log after it prints everything up to the end.
 */
async function followEvents(
  api: ApiClient,
  initial: Feature,
  print: (event: FeatureEvent) => void,
  sleep: (ms: number) => Promise<void>,
): Promise<Feature> {
  let feature = initial;
  let after: string | undefined;
  for (;;) {
    for (;;) {
      const page = await api.listEvents(feature.id, { limit: EVENTS_PAGE_SIZE, ...(after === undefined ? {} : { after }) });
      page.items.forEach(print);
      after = page.lastEventId ?? after;
      if (page.items.length < EVENTS_PAGE_SIZE) break;
    }
    if (isTerminalFeatureStatus(feature.status)) return feature;
    await sleep(FOLLOW_POLL_MS);
    feature = await api.getFeature(feature.id);
  }
}

function formatFeature(feature: FeatureDetail, tasks: readonly Task[], now: Date): string {
  const lines = [
    `${feature.id}  ${oneLine(feature.title)}`,
    `  status:       ${feature.status}${feature.statusReason ? ` (${oneLine(feature.statusReason)})` : ''}`,
    `  repo:         ${feature.repo}`,
    `  base branch:  ${feature.baseBranch}`,
    `  tasks:        ${formatSummary(feature.taskSummary)}`,
    `  created:      ${feature.createdAt} (${age(feature.createdAt, now)} ago)`,
  ];
  const header = `${lines.join('\n')}\n`;
  if (tasks.length === 0) return header;
  return (
    `${header}\n` +
    table(
      ['TASK', 'STATUS', 'AGENT', 'ATTEMPTS', 'TITLE'],
      tasks.map((task) => [task.id, task.status, task.agentType, String(task.attempts), truncate(oneLine(task.title), TITLE_COLUMN_MAX)]),
    )
  );
}

/** One block per task, in the order they can run. */
function formatPlan(tasks: readonly PlannedTaskWithKind[]): string {
  const blocks = tasks.map((task) =>
    [
      `${task.id}  ${oneLine(task.title)}`,
      `  kind:        ${task.kind}/${task.agentType}`,
      `  depends on:  ${task.dependsOn.length === 0 ? '-' : task.dependsOn.join(', ')}`,
      `  estimate:    ${Math.round(task.estimatedSeconds / 60)}m`,
      '  criteria:',
      ...task.acceptanceCriteria.map((criterion) => `    - ${oneLine(criterion)}`),
    ].join('\n'),
  );
  return `${tasks.length} tasks (not submitted)\n\n${blocks.join('\n\n')}\n`;
}

function formatSummary(summary: TaskSummary): string {
  const parts = taskStatuses.filter((status) => summary[status] > 0).map((status) => `${summary[status]} ${status}`);
  return parts.length === 0 ? `${summary.total}` : `${summary.total} (${parts.join(', ')})`;
}

function formatEvent(event: FeatureEvent): string {
  const time = event.at.replace(/\.\d+Z$/, 'Z');
  const taskId = 'taskId' in event && event.taskId !== undefined ? event.taskId : '-';
  const detail = (() => {
    switch (event.type) {
      case 'feature.created':
        return `created with ${event.taskCount} task${event.taskCount === 1 ? '' : 's'}`;
      case 'feature.status':
      case 'task.status':
        return `${event.from} → ${event.to}${event.reason ? `  (${oneLine(event.reason)})` : ''}`;
      case 'note':
        return oneLine(event.message);
    }
  })();
  return `${time}  ${event.type.padEnd(15)}  ${taskId.padEnd(12)}  ${detail}`;
}

/** Left-aligned columns two spaces apart; the last column is not padded, so lines carry no trailing blanks. */
function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]?.length ?? 0)));
  return [headers, ...rows]
    .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '))
    .map((line) => `${line}\n`)
    .join('');
}

function age(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
