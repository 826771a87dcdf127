import type { Feature } from '../core/feature.js';
import type { Task } from '../core/task.js';
import type { AppLogger } from './logger.js';
import type { PullRequest } from './git-host.js';

/**
 * Tells the people who asked for a feature how it is going, where they asked
 * (a GitHub issue's comments). Best effort: a notification that fails is logged
 * by `notifySafely`, never allowed to fail the workflow step that sent it.
 */
export interface FeatureNotifier {
  /** The plan was stored: the tasks with their dependencies. */
  featurePlanned(feature: Feature, tasks: readonly Task[]): Promise<void>;
  pullRequestOpened(feature: Feature, pullRequest: PullRequest): Promise<void>;
  featureFailed(feature: Feature, reason: string): Promise<void>;
  featureNeedsHuman(feature: Feature, reason: string): Promise<void>;
  featureMerged(feature: Feature, pullRequestNumber: number): Promise<void>;
  featureCancelled(feature: Feature, reason: string): Promise<void>;
}

/** Comments on an issue of a repository; GitHubHost implements it (GitHub serves issue comments for pull requests too). */
export interface IssueCommenter {
  commentOnIssue(repo: string, issueNumber: number, body: string): Promise<void>;
}

export const noNotifier: FeatureNotifier = {
  featurePlanned: async () => {},
  pullRequestOpened: async () => {},
  featureFailed: async () => {},
  featureNeedsHuman: async () => {},
  featureMerged: async () => {},
  featureCancelled: async () => {},
};

/**
 * Runs one notification, logging instead of throwing: a GitHub outage or a
 * deleted issue must not fail (and so retry, or fail) the step that notified.
 */
export async function notifySafely(
  notifier: FeatureNotifier | undefined,
  logger: AppLogger,
  feature: Pick<Feature, 'id'>,
  send: (notifier: FeatureNotifier) => Promise<void>,
): Promise<void> {
  if (!notifier) return;
  try {
    await send(notifier);
  } catch (error) {
    logger.warn('feature notification failed', { featureId: feature.id, error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * Text that came from an issue, a person or an agent, made safe to quote in a
 * comment: on one line (a line starting with a command would be read back as one)
 * and without @-mentions (quoting must not ping people).
 */
export function quoteInline(text: string): string {
  return text.replace(/\s+/g, ' ').replaceAll('@', '@\u200b').trim();
}
