import type { Feature } from '../core/feature.js';
import type { Task } from '../core/task.js';
import type { PullRequest } from '../ports/git-host.js';
import { quoteInline as inline, type FeatureNotifier, type IssueCommenter } from '../ports/feature-notifier.js';

/** GitHub refuses comments over 65,536 characters; a 500-task plan can come close. */
const MAX_COMMENT = 60_000;

/**
 * FeatureNotifier that comments on the GitHub issue a feature came from. A
 * feature without a source (API, CLI) is not announced anywhere: every method
 * is then a no-op.
 */
export class IssueCommentNotifier implements FeatureNotifier {
  constructor(private readonly issues: IssueCommenter) {}

  async featurePlanned(feature: Feature, tasks: readonly Task[]): Promise<void> {
    const lines = tasks.map((task) => {
      const after = task.dependsOn.length > 0 ? ` — after ${task.dependsOn.map((id) => `\`${id}\``).join(', ')}` : '';
      return `- [ ] \`${task.id}\` ${inline(task.title)} (${task.agentType})${after}`;
    });
    await this.comment(feature, [`DSF planned \`${feature.id}\` as ${tasks.length} task${tasks.length === 1 ? '' : 's'}:`, '', ...lines].join('\n'));
  }

  async pullRequestOpened(feature: Feature, pullRequest: PullRequest): Promise<void> {
    const where = pullRequest.url ?? `#${pullRequest.number}`;
    await this.comment(feature, `DSF opened a pull request for \`${feature.id}\`: ${where}`);
  }

  async featureFailed(feature: Feature, reason: string): Promise<void> {
    await this.comment(feature, `DSF could not finish \`${feature.id}\`: ${inline(reason)}\n\nComment \`/dsf retry\` to start it again.`);
  }

  async featureNeedsHuman(feature: Feature, reason: string): Promise<void> {
    await this.comment(feature, `DSF needs a person for \`${feature.id}\`: ${inline(reason)}`);
  }

  async featureMerged(feature: Feature, pullRequestNumber: number): Promise<void> {
    await this.comment(feature, `Pull request #${pullRequestNumber} was merged: \`${feature.id}\` is done.`);
  }

  async featureCancelled(feature: Feature, reason: string): Promise<void> {
    await this.comment(feature, `DSF cancelled \`${feature.id}\`: ${inline(reason)}\n\nComment \`/dsf retry\` to start it again.`);
  }

  private async comment(feature: Feature, body: string): Promise<void> {
    if (feature.source?.kind !== 'github_issue') return;
    const text = body.length > MAX_COMMENT ? `${body.slice(0, MAX_COMMENT)}\n\n(cut at ${MAX_COMMENT} characters)` : body;
    await this.issues.commentOnIssue(feature.source.repo, feature.source.issueNumber, text);
  }
}
