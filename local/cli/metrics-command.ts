import { InvalidArgumentError, type Command } from 'commander';
import { z } from 'zod';
import { featureStatuses } from '../../lambdas/core/feature.js';
import type { ApiClient, MetricsResponse } from './api-client.js';

export interface MetricsCommandDeps {
  /** Raw writes: callers include the newline. */
  readonly stdout: (s: string) => void;
  /** The API client for this invocation, with the program's --url / DSF_URL / default resolution. */
  readonly client: (command: Command) => ApiClient;
}

/** The server's bounds (lambdas/http/routes/feature-routes.ts), checked here so a bad value is a usage error. */
const MAX_LIMIT = 200;
const metricsOptionsSchema = z.object({ limit: z.number().int().min(1).max(MAX_LIMIT).optional(), json: z.boolean().default(false) });

function limitArgument(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < 1 || parsed > MAX_LIMIT) throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_LIMIT}.`);
  return parsed;
}

/** `dsf metrics`: the factory's totals and one line per recent feature. */
export function registerMetricsCommand(program: Command, deps: MetricsCommandDeps): Command {
  return program
    .command('metrics')
    .description('factory metrics over the most recent features: lead time, throughput, agent time, tokens and cost, gate pass rate')
    .option('--limit <n>', `how many recent features to measure, 1-${MAX_LIMIT} (server default 50)`, limitArgument)
    .option('--json', 'print the GET /metrics response as JSON')
    .action(async (rawOptions: unknown, command: Command) => {
      const options = metricsOptionsSchema.parse(rawOptions);
      const metrics = await deps.client(command).getMetrics(options.limit === undefined ? {} : { limit: options.limit });
      deps.stdout(options.json ? `${JSON.stringify(metrics, null, 2)}\n` : formatMetrics(metrics));
    });
}

export function formatMetrics(metrics: MetricsResponse): string {
  const { totals } = metrics;
  if (totals.features === 0) return 'no features\n';
  const statuses = featureStatuses.filter((status) => totals.byStatus[status] > 0).map((status) => `${totals.byStatus[status]} ${status}`);
  const { leadTime, usage, gates } = totals;
  const summary = [
    ['features', `${totals.features} (${statuses.join(', ')})`],
    [
      'lead time',
      leadTime.delivered === 0
        ? 'none delivered yet'
        : `median ${duration(leadTime.medianSeconds)}, p90 ${duration(leadTime.p90Seconds)} (${plural(leadTime.delivered, 'delivered feature')})`,
    ],
    ['tasks', `${totals.tasks.total} (${totals.tasks.succeeded} succeeded, ${totals.tasks.failed} failed), ${totals.tasksPerHour} per hour`],
    ['agent time', `${duration(totals.agentSeconds)} working, ${duration(totals.queuedSeconds)} queued for an agent`],
    ['usage', `${usage.inputTokens + usage.outputTokens} tokens (${usage.inputTokens} in, ${usage.outputTokens} out), ${cost(usage.costUsd)}, ${plural(usage.calls, 'call')}`],
    ['gates', gates.passRate === null ? 'no gate reports' : `${gates.passed} of ${gates.reported} passed (${Math.round(gates.passRate * 100)}%)`],
    ['conflicts', `${plural(totals.conflictsResolved, 'file')} resolved`],
  ];
  const rows = metrics.features.map((feature) => [
    feature.featureId,
    feature.status,
    duration(feature.leadTimeSeconds),
    `${feature.tasks.succeeded}/${feature.tasks.total}`,
    String(feature.maxParallelism),
    String(feature.usage.inputTokens + feature.usage.outputTokens),
    cost(feature.usage.costUsd),
  ]);
  return `${table(summary)}\n${table([['FEATURE', 'STATUS', 'LEAD TIME', 'TASKS', 'PARALLEL', 'TOKENS', 'COST'], ...rows])}`;
}

/** Whole seconds, then minutes and seconds, then hours and minutes: precise where it matters, short where it does not. */
function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${whole % 60}s`;
  return `${Math.floor(whole / 3600)}h ${Math.floor((whole % 3600) / 60)}m`;
}

/** A model call costs fractions of a cent, so small amounts keep four decimals. */
const cost = (usd: number) => `$${usd.toFixed(usd >= 1 ? 2 : 4)}`;

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Left-aligned columns two spaces apart, the last one unpadded so lines carry no trailing blanks. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => `${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')}\n`).join('');
}
