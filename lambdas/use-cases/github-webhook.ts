import { z } from 'zod';
import type { FeatureRequest } from '../core/new-feature.js';
import { featureIdSchema, isTerminalFeatureStatus, type Feature, type FeatureSource, type FeatureStatus } from '../core/feature.js';
import { cancelFeature, getFeatureDetail, submitFeature, type FeatureUseCaseDeps, type TaskSummary } from './features.js';
import { IdempotencyKeyReusedError, IllegalTransitionError, StaleStatusError } from '../core/errors.js';
import { taskStatuses } from '../core/task.js';
import { BranchNotFoundError, type GitHost } from '../ports/git-host.js';
import { notifySafely, quoteInline, type FeatureNotifier, type IssueCommenter } from '../ports/feature-notifier.js';
import type { AppLogger } from '../ports/logger.js';
import { featureBranchName } from '../ports/workspace.js';

/** The parts of GitHub payloads the factory reads; parsed, never trusted as instructions. */
const repositorySchema = z.object({ full_name: z.string(), default_branch: z.string() });
const issueSchema = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string().nullable().optional(),
  html_url: z.string(),
  /** Present when the "issue" is a pull request (issue_comment fires for both). */
  pull_request: z.unknown().optional(),
});
type Issue = z.infer<typeof issueSchema>;
type Repository = z.infer<typeof repositorySchema>;
const issuesLabeledSchema = z.object({
  action: z.literal('labeled'),
  label: z.object({ name: z.string() }),
  issue: issueSchema,
  repository: repositorySchema,
});
const issueCommentCreatedSchema = z.object({
  action: z.literal('created'),
  issue: issueSchema,
  comment: z.object({
    body: z.string().nullable(),
    author_association: z.string(),
    user: z.object({ login: z.string(), type: z.string() }).nullable(),
  }),
  repository: repositorySchema,
});
const pullRequestClosedSchema = z.object({
  action: z.literal('closed'),
  number: z.number().int().positive(),
  pull_request: z.object({
    merged: z.boolean().nullable().optional(),
    merge_commit_sha: z.string().nullable().optional(),
    html_url: z.string(),
    head: z.object({ ref: z.string() }),
  }),
  repository: repositorySchema,
});
const pushSchema = z.object({
  ref: z.string(),
  deleted: z.boolean().optional(),
  repository: z.object({ full_name: z.string() }),
});

export interface WebhookDeps extends FeatureUseCaseDeps {
  /** The issue label that asks the factory to build an issue (default `dsf`). */
  readonly triggerLabel: string;
  readonly logger: AppLogger;
  /** Answers commands on their issue; without it commands still act, and the answer is only logged. */
  readonly issues?: IssueCommenter;
  /** Reports merges, cancellations and conflicts on the feature's issue. */
  readonly notifier?: FeatureNotifier;
  /** Re-integrates feature branches when their base moves; without it pushes are ignored. */
  readonly gitHost?: Pick<GitHost, 'integrate'>;
}

export const dsfCommands = ['build', 'status', 'cancel', 'retry'] as const;
export type DsfCommand = (typeof dsfCommands)[number];

export type ReintegrationResult = 'merged' | 'up-to-date' | 'conflict' | 'no-branch' | 'moved-on';

export type WebhookOutcome =
  | { readonly kind: 'feature'; readonly featureId: string; readonly created: boolean }
  | { readonly kind: 'command'; readonly command: DsfCommand; readonly result: string; readonly featureId?: string }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'merged'; readonly featureId: string }
  | { readonly kind: 'cancelled'; readonly featureId: string }
  | { readonly kind: 'reintegrated'; readonly features: { readonly featureId: string; readonly result: ReintegrationResult }[] }
  | { readonly kind: 'ignored'; readonly reason: string };

/** Longest description a feature accepts; a longer issue body is cut, with a note saying so. */
const MAX_DESCRIPTION = 20_000;
const MAX_REASON = 2_000;
/** Who may command the factory: people with write access to the repository, as GitHub reports them. */
const TRUSTED_ASSOCIATIONS = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);
/** Statuses whose feature branch is still being built or reviewed, so it must follow its base. */
const FOLLOWS_BASE: ReadonlySet<FeatureStatus> = new Set(['running', 'gating', 'pr_open']);
const RETRYABLE: ReadonlySet<FeatureStatus> = new Set(['failed', 'cancelled', 'needs_human']);

/**
 * The first command in a comment: `/dsf <command>` at the start of a line, any
 * case. The rest of the line and of the comment is ignored on purpose: a comment
 * can only pick one of four actions, never pass instructions along.
 */
export function parseCommand(body: string): DsfCommand | undefined {
  const match = /^[ \t]*\/dsf[ \t]+(build|status|cancel|retry)(?=\s|$)/im.exec(body);
  return match ? (match[1]!.toLowerCase() as DsfCommand) : undefined;
}

/**
 * Acts on one verified, first-seen delivery. The issue's text becomes the
 * feature's title and description: data for the planner and agents, with no
 * power to change what they may do.
 */
export async function handleGithubEvent(deps: WebhookDeps, event: string, payload: unknown): Promise<WebhookOutcome> {
  switch (event) {
    case 'issues':
      return onIssueLabeled(deps, payload);
    case 'issue_comment':
      return onIssueComment(deps, payload);
    case 'pull_request':
      return onPullRequestClosed(deps, payload);
    case 'push':
      return onPush(deps, payload);
    default:
      return { kind: 'ignored', reason: `event ${event} is not handled` };
  }
}

async function onIssueLabeled(deps: WebhookDeps, payload: unknown): Promise<WebhookOutcome> {
  const labeled = issuesLabeledSchema.safeParse(payload);
  if (!labeled.success) return { kind: 'ignored', reason: 'issues event other than labeled' };
  const { label, issue, repository } = labeled.data;
  if (label.name !== deps.triggerLabel) return { kind: 'ignored', reason: `label ${label.name} is not ${deps.triggerLabel}` };
  const started = await startFromIssue(deps, issue, repository, issueKey(repository, issue));
  if (!started) return { kind: 'ignored', reason: `issue #${issue.number} already has a feature` };
  return { kind: 'feature', featureId: started.feature.id, created: started.created };
}

async function onIssueComment(deps: WebhookDeps, payload: unknown): Promise<WebhookOutcome> {
  const parsed = issueCommentCreatedSchema.safeParse(payload);
  if (!parsed.success) return { kind: 'ignored', reason: 'issue_comment event other than created' };
  const { issue, comment, repository } = parsed.data;
  // Bots never command the factory: that also keeps DSF from answering its own comments.
  if (comment.user?.type === 'Bot') return { kind: 'ignored', reason: 'comment by a bot' };
  if (issue.pull_request !== undefined) return { kind: 'ignored', reason: 'comment on a pull request' };
  const command = parseCommand(comment.body ?? '');
  if (!command) return { kind: 'ignored', reason: 'comment is not a command' };
  const reply = (body: string) => replyOnIssue(deps, repository.full_name, issue.number, body);
  if (!TRUSTED_ASSOCIATIONS.has(comment.author_association)) {
    await reply(
      'Sorry, only owners, members and collaborators of this repository can give DSF commands. ' +
        'A maintainer can run the command for you.',
    );
    return { kind: 'refused', reason: `author association ${comment.author_association}` };
  }
  const features = await featuresOfIssue(deps, repository.full_name, issue.number);
  const active = features.find((feature) => !isTerminalFeatureStatus(feature.status));
  const latest = features[0];
  const done = (result: string, featureId?: string): WebhookOutcome => ({ kind: 'command', command, result, ...(featureId ? { featureId } : {}) });

  switch (command) {
    case 'build': {
      if (active) {
        await reply(`DSF is already working on this issue: \`${active.id}\` is ${active.status}.`);
        return done('already-active', active.id);
      }
      const started = await startFromIssue(deps, issue, repository, issueKey(repository, issue));
      if (started?.created) {
        await reply(`DSF started \`${started.feature.id}\` for this issue.`);
        return done('started', started.feature.id);
      }
      // The issue's key still names a feature that has ended: building again is what retry is for.
      const previous = started?.feature ?? latest;
      await reply(
        `This issue already had a feature${previous ? `, \`${previous.id}\`, which is ${previous.status}` : ''}. ` +
          'Comment `/dsf retry` to start a new one.',
      );
      return done('already-built', previous?.id);
    }
    case 'status': {
      const target = active ?? latest;
      if (!target) {
        await reply('There is no DSF feature for this issue yet. Comment `/dsf build` to start one.');
        return done('none');
      }
      const detail = await getFeatureDetail(deps, target.id);
      const reason = detail.statusReason ? ` (${quoteInline(detail.statusReason)})` : '';
      await reply(`\`${detail.id}\` is **${detail.status}**${reason}. Tasks: ${describeTasks(detail.taskSummary)}.`);
      return done(target.status, target.id);
    }
    case 'cancel': {
      if (!active) {
        await reply('There is nothing to cancel: no DSF feature for this issue is in progress.');
        return done('none', latest?.id);
      }
      try {
        await cancelFeature(deps, active.id, `cancelled by ${comment.user?.login ?? 'a maintainer'} on GitHub`);
      } catch (error) {
        if (!(error instanceof IllegalTransitionError)) throw error;
        await reply(`\`${active.id}\` finished before it could be cancelled.`);
        return done('already-ended', active.id);
      }
      await reply(`DSF cancelled \`${active.id}\` as requested.`);
      return done('cancelled', active.id);
    }
    case 'retry': {
      if (!latest) {
        await reply('There is no DSF feature for this issue to retry. Comment `/dsf build` to start one.');
        return done('none');
      }
      if (!RETRYABLE.has(latest.status)) {
        await reply(`There is nothing to retry: \`${latest.id}\` is ${latest.status}. Retry starts again after a feature failed, was cancelled or needs a person.`);
        return done('not-retryable', latest.id);
      }
      if (latest.status === 'needs_human') {
        // One feature at a time per issue: the one waiting for a person is replaced, not left behind.
        try {
          await cancelFeature(deps, latest.id, 'superseded by a retry requested on GitHub');
        } catch (error) {
          if (!(error instanceof IllegalTransitionError)) throw error;
        }
      }
      // Keyed by the feature retried, so a repeated retry command starts one feature, not two.
      const started = await startFromIssue(deps, issue, repository, `${issueKey(repository, issue)}:retry-of:${latest.id}`);
      if (!started?.created) {
        // Two retry comments at once: the other one started it and said so.
        return done('already-retried', started?.feature.id ?? latest.id);
      }
      await reply(`DSF started \`${started.feature.id}\` for this issue, replacing \`${latest.id}\` (${latest.status}).`);
      return done('started', started.feature.id);
    }
  }
}

/**
 * A merged pull request of a feature ends it as merged. Closed without merging
 * ends it as cancelled: the reviewer rejected it, and a feature left in pr_open
 * would wait forever. `/dsf retry` starts it again from the issue.
 */
async function onPullRequestClosed(deps: WebhookDeps, payload: unknown): Promise<WebhookOutcome> {
  const parsed = pullRequestClosedSchema.safeParse(payload);
  if (!parsed.success) return { kind: 'ignored', reason: 'pull_request event other than closed' };
  const { number, pull_request: pull, repository } = parsed.data;
  const featureId = featureIdFromBranch(pull.head.ref);
  if (!featureId) return { kind: 'ignored', reason: `head ${pull.head.ref} is not a feature branch` };
  const feature = await deps.store.getFeature(featureId);
  if (!feature || !sameRepository(feature.repo, repository.full_name)) return { kind: 'ignored', reason: `no feature ${featureId} in ${repository.full_name}` };
  // Another pull request from the same branch (opened by hand) does not speak for the feature's own.
  if (feature.pullRequest && feature.pullRequest.number !== number) {
    return { kind: 'ignored', reason: `feature ${featureId} has pull request #${feature.pullRequest.number}, not #${number}` };
  }
  if (feature.status !== 'pr_open') {
    deps.logger.warn('pull request closed for a feature not in pr_open', { featureId, status: feature.status, pullRequest: number });
    return { kind: 'ignored', reason: `feature ${featureId} is ${feature.status}, not pr_open` };
  }
  try {
    if (pull.merged === true) {
      const merged = await deps.store.transitionFeature(featureId, {
        to: 'merged',
        expectedFrom: 'pr_open',
        reason: `pull request #${number} merged`,
        pullRequest: { number, url: pull.html_url, ...(pull.merge_commit_sha ? { mergeCommit: pull.merge_commit_sha } : {}) },
      });
      await notifySafely(deps.notifier, deps.logger, merged, (notifier) => notifier.featureMerged(merged, number));
      return { kind: 'merged', featureId };
    }
    const reason = `pull request #${number} was closed without merging`;
    const cancelled = await cancelFeature(deps, featureId, reason);
    await notifySafely(deps.notifier, deps.logger, cancelled, (notifier) => notifier.featureCancelled(cancelled, reason));
    return { kind: 'cancelled', featureId };
  } catch (error) {
    if (!(error instanceof StaleStatusError || error instanceof IllegalTransitionError)) throw error;
    deps.logger.warn('feature moved on before its pull request closed', { featureId, pullRequest: number });
    return { kind: 'ignored', reason: `feature ${featureId} moved on` };
  }
}

/**
 * A push to the base of features in progress merges the new base into each
 * feature branch, so what gets reviewed and merged is tested against the base it
 * will land on. A conflict stops the feature for a person, with the paths.
 */
async function onPush(deps: WebhookDeps, payload: unknown): Promise<WebhookOutcome> {
  const parsed = pushSchema.safeParse(payload);
  if (!parsed.success) return { kind: 'ignored', reason: 'push payload not understood' };
  const { ref, deleted, repository } = parsed.data;
  if (!ref.startsWith('refs/heads/') || deleted === true) return { kind: 'ignored', reason: `push to ${ref} moves no branch` };
  const branch = ref.slice('refs/heads/'.length);
  const open = (await allFeatures(deps)).filter(
    (feature) => FOLLOWS_BASE.has(feature.status) && feature.baseBranch === branch && sameRepository(feature.repo, repository.full_name),
  );
  if (open.length === 0) return { kind: 'ignored', reason: `no feature in progress on ${repository.full_name} ${branch}` };
  if (!deps.gitHost) {
    deps.logger.warn('push not re-integrated: no git host configured', { repo: repository.full_name, branch });
    return { kind: 'ignored', reason: 'no git host configured' };
  }
  const results: { featureId: string; result: ReintegrationResult }[] = [];
  const failures: unknown[] = [];
  // One at a time: each merge is a few API calls, and GitHub asks for writes to be serial.
  for (const feature of open) {
    try {
      results.push({ featureId: feature.id, result: await reintegrate(deps, deps.gitHost, feature, branch) });
    } catch (error) {
      deps.logger.error('re-integration failed', { featureId: feature.id, error: error instanceof Error ? error.message : String(error) });
      failures.push(error);
    }
  }
  // Failing the delivery unclaims it, so a redelivery retries; features already merged are then up to date.
  if (failures.length > 0) throw new AggregateError(failures, `re-integrating ${branch} failed for ${failures.length} feature(s)`);
  return { kind: 'reintegrated', features: results };
}

async function reintegrate(deps: WebhookDeps, gitHost: Pick<GitHost, 'integrate'>, feature: Feature, base: string): Promise<ReintegrationResult> {
  const target = featureBranchName(feature.id);
  let result;
  try {
    result = await gitHost.integrate(feature.repo, { source: base, target, message: `Merge ${base} into ${target} (base moved)` });
  } catch (error) {
    // No feature branch yet: its first task will branch from the new base anyway.
    if (error instanceof BranchNotFoundError && error.branch === target) return 'no-branch';
    throw error;
  }
  if (result.kind !== 'conflict') {
    deps.logger.info('feature branch re-integrated', { featureId: feature.id, base, result: result.kind });
    return result.kind;
  }
  const reason = `${base} moved and no longer merges into ${target}: conflicts in ${result.paths.join(', ')}`.slice(0, MAX_REASON);
  try {
    const stopped = await deps.store.transitionFeature(feature.id, { to: 'needs_human', expectedFrom: feature.status, reason });
    await notifySafely(deps.notifier, deps.logger, stopped, (notifier) => notifier.featureNeedsHuman(stopped, reason));
  } catch (error) {
    if (!(error instanceof StaleStatusError || error instanceof IllegalTransitionError)) throw error;
    deps.logger.warn('feature moved on during re-integration', { featureId: feature.id });
    return 'moved-on';
  }
  deps.logger.warn('feature needs a person: base conflicts', { featureId: feature.id, paths: result.paths });
  return 'conflict';
}

async function startFromIssue(
  deps: WebhookDeps,
  issue: Issue,
  repository: Repository,
  idempotencyKey: string,
): Promise<{ feature: Feature; created: boolean } | undefined> {
  const body = (issue.body ?? '').trim();
  const from = `From ${issue.html_url}`;
  const description = body.length === 0 ? from : `${body.slice(0, MAX_DESCRIPTION - from.length - 4)}\n\n${from}`;
  const request: FeatureRequest = {
    title: issue.title.trim().slice(0, 200) || `Issue #${issue.number}`,
    description,
    repo: repository.full_name,
    baseBranch: repository.default_branch,
  };
  const source: FeatureSource = { kind: 'github_issue', repo: repository.full_name, issueNumber: issue.number };
  try {
    return await submitFeature(deps, { request, idempotencyKey, source });
  } catch (error) {
    // The same issue with an edited title/body is still the same issue: keep the feature it has.
    if (error instanceof IdempotencyKeyReusedError) return undefined;
    throw error;
  }
}

/** One feature per issue while the key lives: a second label event, or a build command, returns it. */
const issueKey = (repository: Repository, issue: Issue) => `github-issue:${repository.full_name}#${issue.number}`;

function featureIdFromBranch(branch: string): string | undefined {
  const match = /^dsf\/(.+)$/.exec(branch);
  return match && featureIdSchema.safeParse(match[1]).success ? match[1] : undefined;
}

/** GitHub names are case-insensitive; a feature may name its repository without the owner. */
function sameRepository(featureRepo: string, fullName: string): boolean {
  const a = featureRepo.toLowerCase();
  const b = fullName.toLowerCase();
  return a === b || (!a.includes('/') && b.endsWith(`/${a}`));
}

/**
 * Every feature, newest first. The store has no index by repository or issue,
 * so this reads the feature list; fine at the rates issues are filed, and the
 * place to add an index when it is not.
 */
async function allFeatures(deps: Pick<WebhookDeps, 'store'>): Promise<Feature[]> {
  const features: Feature[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.listFeatures({ limit: 100, ...(cursor ? { cursor } : {}) });
    features.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return features;
}

async function featuresOfIssue(deps: Pick<WebhookDeps, 'store'>, repo: string, issueNumber: number): Promise<Feature[]> {
  return (await allFeatures(deps)).filter(
    (feature) => feature.source?.kind === 'github_issue' && feature.source.issueNumber === issueNumber && sameRepository(feature.source.repo, repo),
  );
}

async function replyOnIssue(deps: WebhookDeps, repo: string, issueNumber: number, body: string): Promise<void> {
  if (!deps.issues) {
    deps.logger.info('command answered without a commenter', { repo, issueNumber, body });
    return;
  }
  try {
    await deps.issues.commentOnIssue(repo, issueNumber, body);
  } catch (error) {
    // The command already acted; failing the delivery now would make a redelivery act twice.
    deps.logger.warn('could not answer on the issue', { repo, issueNumber, error: error instanceof Error ? error.message : String(error) });
  }
}

function describeTasks(summary: TaskSummary): string {
  if (summary.total === 0) return 'none planned yet';
  const parts = taskStatuses.filter((status) => summary[status] > 0).map((status) => `${summary[status]} ${status}`);
  return `${summary.total} (${parts.join(', ')})`;
}
