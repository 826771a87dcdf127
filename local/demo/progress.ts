import ora from 'ora';
import type { Feature, FeatureStatus } from '../../lambdas/core/feature.js';
import type { FeatureEvent } from '../../lambdas/core/feature-event.js';
import { featureMetrics, type FeatureMetrics } from '../../lambdas/core/feature-metrics.js';
import type { Task } from '../../lambdas/core/task.js';
import type { ApiClient } from '../cli/api-client.js';

export interface FeatureSnapshot {
  readonly feature: Feature;
  readonly tasks: Task[];
  readonly events: FeatureEvent[];
  readonly metrics: FeatureMetrics;
}

const SYMBOL: Record<Task['status'], string> = {
  pending: '·',
  waiting: '·',
  queued: '…',
  running: '▶',
  succeeded: '✔',
  failed: '✖',
  cancelled: '⊘',
  skipped: '↷',
};

/** Where watching stops: the feature ended, waits on a person, or (unless it merges itself) its PR is open. */
export const isSettled = (status: FeatureStatus, autoMerge: boolean) =>
  ['merged', 'failed', 'cancelled', 'needs_human'].includes(status) || (!autoMerge && status === 'pr_open');

async function snapshot(client: ApiClient, featureId: string): Promise<FeatureSnapshot> {
  const [feature, tasks] = await Promise.all([client.getFeature(featureId), client.listTasks(featureId)]);
  const events: FeatureEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await client.listEvents(featureId, { limit: 500, ...(after ? { after } : {}) });
    events.push(...page.items);
    if (page.items.length < 500 || !page.lastEventId) break;
    after = page.lastEventId;
  }
  return { feature, tasks: tasks.items, events, metrics: featureMetrics(feature, tasks.items, events, new Date().toISOString()) };
}

/** One line per task: status, id, time spent running, title (and why, when it did not succeed). */
export function renderTaskLines(snap: FeatureSnapshot): string[] {
  const width = Math.max(...snap.tasks.map((task) => task.id.length), 4);
  return snap.tasks.map((task) => {
    const timing = snap.metrics.perTask.find((entry) => entry.taskId === task.id);
    const time = timing && (timing.agentSeconds > 0 || task.status === 'running') ? `${timing.agentSeconds.toFixed(1)}s` : '';
    const why = task.status === 'failed' || task.status === 'skipped' ? ` — ${task.statusReason ?? ''}` : '';
    return `  ${SYMBOL[task.status]} ${task.id.padEnd(width)}  ${task.status.padEnd(9)} ${time.padStart(6)}  ${task.title}${why}`;
  });
}

/**
 * Follows a feature until it settles: on a terminal, a spinner over a live
 * table of tasks; elsewhere (CI logs), one line per task status change.
 */
export async function followFeature(
  client: ApiClient,
  featureId: string,
  options: { out?: NodeJS.WriteStream; pollMs?: number; timeoutMs?: number; autoMerge?: boolean } = {},
): Promise<FeatureSnapshot> {
  const out = options.out ?? process.stdout;
  const pollMs = options.pollMs ?? 250;
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  const live = out.isTTY ? ora({ stream: out, text: 'starting…' }).start() : undefined;
  const seen = new Map<string, string>();
  try {
    for (;;) {
      const snap = await snapshot(client, featureId);
      const done = snap.tasks.filter((task) => task.status === 'succeeded').length;
      const head = `${snap.feature.title} — ${snap.feature.status} (${done}/${snap.tasks.length} tasks, ${snap.metrics.leadTimeSeconds.toFixed(1)}s)`;
      if (live) {
        live.text = [head, ...renderTaskLines(snap)].join('\n');
      } else {
        const lines = renderTaskLines(snap);
        snap.tasks.forEach((task, index) => {
          if (seen.get(task.id) !== task.status) out.write(`${lines[index]}\n`);
          seen.set(task.id, task.status);
        });
      }
      if (isSettled(snap.feature.status, options.autoMerge ?? false)) {
        if (live) {
          const ok = snap.feature.status === 'merged' || snap.feature.status === 'pr_open';
          live[ok ? 'succeed' : 'fail'](head);
          out.write(`${renderTaskLines(snap).join('\n')}\n`);
        }
        return snap;
      }
      if (Date.now() > deadline) throw new Error(`feature ${featureId} did not settle in time (status ${snap.feature.status})`);
      await new Promise((done) => setTimeout(done, pollMs));
    }
  } catch (error) {
    live?.stop();
    throw error;
  }
}

/** The closing summary: what was built, how parallel, what it cost, where the PR is. */
export function renderSummary(snap: FeatureSnapshot, options: { dashboardUrl: string; modelId?: string }): string {
  const { feature, tasks, metrics } = snap;
  const lines: string[] = [''];
  lines.push(`Feature ${feature.id}: ${feature.status} after ${metrics.leadTimeSeconds.toFixed(1)} s${feature.statusReason ? ` — ${feature.statusReason}` : ''}`);
  lines.push(
    `  tasks       ${metrics.tasks.succeeded} of ${metrics.tasks.total} succeeded; up to ${metrics.maxParallelism} ran at once; agents worked ${metrics.agentSeconds.toFixed(1)} s, tasks waited ${metrics.queuedSeconds.toFixed(1)} s for an agent`,
  );
  const conflicts = tasks.filter((task) => task.result?.conflictsResolved?.length);
  lines.push(
    conflicts.length > 0
      ? `  conflicts   resolved by the conflict agent: ${conflicts.map((task) => `${task.result!.conflictsResolved!.join(', ')} (in ${task.id})`).join('; ')}`
      : '  conflicts   none',
  );
  const gate = tasks.map((task) => task.result?.gate).find(Boolean);
  if (gate) {
    const entries = gate.gates.map((entry) => {
      const mark = entry.status === 'failed' ? '✖' : entry.status === 'warning' ? '!' : entry.status === 'skipped' ? '–' : '✔';
      return `${mark} ${entry.gate}${gateFigure(entry)}`;
    });
    lines.push(`  gates       ${gate.passed ? 'all passed' : 'FAILED'}: ${entries.join(' · ')}`);
  } else {
    lines.push('  gates       not run');
  }
  const { usage } = metrics;
  lines.push(
    `  model       ${usage.calls} calls, ${usage.inputTokens} input + ${usage.outputTokens} output tokens, $${usage.costUsd.toFixed(4)}${options.modelId ? ` (${options.modelId})` : ''}`,
  );
  if (feature.pullRequest) {
    lines.push(
      `  pull req.   #${feature.pullRequest.number} ${feature.repo}: dsf/${feature.id} → ${feature.baseBranch}${feature.pullRequest.mergeCommit ? `, merge commit ${feature.pullRequest.mergeCommit.slice(0, 12)}` : ', open'}`,
    );
  }
  lines.push(`  dashboard   ${options.dashboardUrl}/#/features/${feature.id}`);
  return lines.join('\n');
}

const formatValue = (value: number | string) => (typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(1)) : value);

/** A gate's measurement as a reader wants it: percentages for coverage, lines for the diff, counts only when not zero. */
function gateFigure(entry: { gate: string; value?: number | string | null | undefined; threshold?: number | string | null | undefined }): string {
  const { value, threshold } = entry;
  if (value === undefined || value === null) return '';
  if (entry.gate === 'coverage' || entry.gate === 'diff-coverage') return ` ${formatValue(value)}%${threshold === undefined || threshold === null ? '' : ` (min ${formatValue(threshold)}%)`}`;
  if (entry.gate === 'diff-size') return ` ${formatValue(value)} lines${threshold === undefined || threshold === null ? '' : ` (max ${formatValue(threshold)})`}`;
  if (value === 0 && (threshold === 0 || threshold === undefined || threshold === null)) return '';
  return ` ${formatValue(value)}${threshold === undefined || threshold === null ? '' : ` (max ${formatValue(threshold)})`}`;
}
