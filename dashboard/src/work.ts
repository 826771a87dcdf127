import type { TaskGate, TaskUsage } from '../../lambdas/core/task.js';
import type { PublicTask } from './api.js';
import type { StatusLook } from './status.js';

/**
 * What the agents did and what it cost, read from the tasks' recorded results: the usage of
 * their model calls, the conflicts they resolved, and the review's gate report and decision.
 */
/** "$0", "$0.0068", "$0.4332", "$12.40": small costs keep four decimals, or they all read "$0.00". */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd) || usd <= 0) return '$0';
  return usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const grouped = new Intl.NumberFormat('en-US');

/** "870", "5,960", "114.6K", "2.3M". */
export function formatTokens(tokens: number): string {
  return tokens < 10_000 ? grouped.format(tokens) : compact.format(tokens);
}

export function usageLine(usage: TaskUsage): string {
  return `${usage.calls} model ${usage.calls === 1 ? 'call' : 'calls'} · ${formatTokens(usage.inputTokens)} in / ${formatTokens(usage.outputTokens)} out tokens · ${formatUsd(usage.costUsd)}`;
}

export const shortSha = (sha: string) => sha.slice(0, 7);

/** Every resolved path with the task whose integration met the conflict. */
export function conflictsOf(tasks: readonly PublicTask[]): { path: string; taskId: string }[] {
  return tasks.flatMap((task) => (task.result?.conflictsResolved ?? []).map((path) => ({ path, taskId: task.id })));
}

/** The task that recorded the gate report (the review), if one did. */
export function gateTaskOf(tasks: readonly PublicTask[]): (PublicTask & { result: { gate: TaskGate } }) | undefined {
  return tasks.find((task): task is PublicTask & { result: { gate: TaskGate } } => task.result?.gate !== undefined);
}

type GateRow = TaskGate['gates'][number];

const gateLooks: Record<GateRow['status'], StatusLook> = {
  passed: { label: 'Passed', tone: 'success', icon: 'check', hint: 'within its threshold' },
  failed: { label: 'Failed', tone: 'danger', icon: 'cross', hint: 'outside its threshold: blocks the pull request' },
  warning: { label: 'Warning', tone: 'attention', icon: 'warning', hint: 'reported, not blocking' },
  skipped: { label: 'Skipped', tone: 'skipped', icon: 'skip', hint: 'not run here' },
};

/** A gate's status as text, tone and icon; a warning about flaky tests says so. */
export function gateLook(row: GateRow): StatusLook {
  const look = gateLooks[row.status];
  if (row.status === 'warning' && /flaky/i.test(row.summary ?? '')) return { ...look, label: 'Warning: flaky', hint: 'passed only on a re-run' };
  return look;
}

/** Coverage gates measure percentages; the others count (problems, findings, lines). */
export function formatGateValue(gate: string, value: GateRow['value']): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'number' && /coverage/.test(gate)) return `${value}%`;
  return typeof value === 'number' ? grouped.format(value) : value;
}

export function gateCounts(gate: TaskGate): string {
  const counts = new Map<string, number>();
  for (const row of gate.gates) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
  return ['passed', 'failed', 'warning', 'skipped']
    .filter((status) => counts.get(status))
    .map((status) => `${counts.get(status)} ${status}`)
    .join(', ');
}
