import type { Feature } from './feature.js';
import { sumUsage, type Task, type TaskUsage } from './task.js';

export type GateVerdict = { readonly pass: true; readonly note: string } | { readonly pass: false; readonly reason: string };

/**
 * Whether a feature whose tasks all succeeded may have a pull request. Only the
 * gate report a review task recorded counts; a feature of orchestration-only
 * `sleep` tasks changes no code, so there is nothing to gate (and no PR).
 */
export function gateVerdict(tasks: readonly Task[]): GateVerdict {
  if (tasks.length > 0 && tasks.every((task) => task.sleep)) return { pass: true, note: 'no code changed: nothing to gate' };
  const gated = tasks.filter((task) => task.result?.gate);
  const failing = gated.filter((task) => !task.result!.gate!.passed);
  if (failing.length > 0) {
    return { pass: false, reason: `quality gates failed in ${failing.map((task) => task.id).join(', ')}` };
  }
  if (gated.length === 0) return { pass: false, reason: 'no review task ran the quality gates (an explicit plan needs a task with agentType "review")' };
  return { pass: true, note: `gates passed (${gated.map((task) => task.id).join(', ')})` };
}

/** Whether the feature changed code and so has a branch worth a pull request. */
export const changesCode = (tasks: readonly Task[]): boolean => tasks.some((task) => !task.sleep);

/** What every task's model calls cost together. */
export const totalUsage = (tasks: readonly Pick<Task, 'result'>[]): TaskUsage => sumUsage(tasks.map((task) => task.result?.usage));

const MAX_BODY = 60_000;

/**
 * The pull request body: what was asked, every task with its acceptance
 * criteria as a checked list (they all succeeded to get here), conflicts the
 * agents resolved, the review's verdict, the gate report, and what it cost.
 * Built from stored results only; no secret is ever in them (transcripts and
 * results are redacted before they are stored).
 */
export function renderPullRequestBody(feature: Feature, tasks: readonly Task[]): string {
  const usage = totalUsage(tasks);
  const lines: string[] = [`Feature \`${feature.id}\`: ${feature.title}`, '', quote(feature.description), '', '## Tasks', ''];
  for (const task of tasks) {
    lines.push(`- **${task.title}** (\`${task.id}\`, ${task.agentType})${task.result?.summary ? ` — ${oneLine(task.result.summary)}` : ''}`);
    for (const criterion of task.acceptanceCriteria) lines.push(`  - [x] ${oneLine(criterion)}`);
    if (task.result?.conflictsResolved?.length) lines.push(`  - conflicts resolved: ${task.result.conflictsResolved.map((path) => `\`${path}\``).join(', ')}`);
  }
  const reviews = tasks.filter((task) => task.result?.review);
  if (reviews.length > 0) {
    lines.push('', '## Review', '');
    for (const task of reviews) {
      const review = task.result!.review!;
      lines.push(`- ${task.id}: **${review.decision}**${review.reasons.length ? ` — ${review.reasons.map(oneLine).join('; ')}` : ''}`);
    }
  }
  for (const task of tasks.filter((t) => t.result?.gate)) lines.push('', task.result!.gate!.markdown);
  lines.push('', '## Cost', '', `${usage.calls} model calls, ${usage.inputTokens} input and ${usage.outputTokens} output tokens, $${usage.costUsd.toFixed(4)}.`);
  lines.push('', '_Opened by DSF._');
  const body = lines.join('\n');
  return body.length > MAX_BODY ? `${body.slice(0, MAX_BODY - 40)}\n\n_(truncated)_` : body;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 300);
const quote = (text: string) =>
  text
    .split('\n')
    .slice(0, 40)
    .map((line) => `> ${line}`)
    .join('\n');
