import { z } from 'zod';
import type { FeatureRequest } from '../core/new-feature.js';
import { submitFeature, type FeatureUseCaseDeps } from './features.js';
import { IdempotencyKeyReusedError } from '../core/errors.js';

/** The parts of GitHub payloads the factory reads; parsed, never trusted as instructions. */
const repositorySchema = z.object({ full_name: z.string(), default_branch: z.string() });
const issuesLabeledSchema = z.object({
  action: z.literal('labeled'),
  label: z.object({ name: z.string() }),
  issue: z.object({ number: z.number().int(), title: z.string(), body: z.string().nullable().optional(), html_url: z.string() }),
  repository: repositorySchema,
});

export interface WebhookDeps extends FeatureUseCaseDeps {
  /** The issue label that asks the factory to build an issue (default `dsf`). */
  readonly triggerLabel: string;
}

export type WebhookOutcome =
  | { readonly kind: 'feature'; readonly featureId: string; readonly created: boolean }
  | { readonly kind: 'ignored'; readonly reason: string };

/** Longest description a feature accepts; a longer issue body is cut, with a note saying so. */
const MAX_DESCRIPTION = 20_000;

/**
 * Acts on one verified, first-seen delivery. The issue's text becomes the
 * feature's title and description: data for the planner and agents, with no
 * power to change what they may do.
 */
export async function handleGithubEvent(deps: WebhookDeps, event: string, payload: unknown): Promise<WebhookOutcome> {
  if (event === 'issues') {
    const labeled = issuesLabeledSchema.safeParse(payload);
    if (!labeled.success) return { kind: 'ignored', reason: 'issues event other than labeled' };
    const { label, issue, repository } = labeled.data;
    if (label.name !== deps.triggerLabel) return { kind: 'ignored', reason: `label ${label.name} is not ${deps.triggerLabel}` };
    const body = (issue.body ?? '').trim();
    const source = `From ${issue.html_url}`;
    const description = body.length === 0 ? source : `${body.slice(0, MAX_DESCRIPTION - source.length - 4)}\n\n${source}`;
    const request: FeatureRequest = {
      title: issue.title.trim().slice(0, 200) || `Issue #${issue.number}`,
      description,
      repo: repository.full_name,
      baseBranch: repository.default_branch,
    };
    // One feature per issue while the key lives: a second label event, or the same one relabelled, returns it.
    const { feature, created } = await submitFeature(deps, { request, idempotencyKey: `github-issue:${repository.full_name}#${issue.number}` }).catch(
      (error: unknown) => {
        // The same issue with an edited title/body is still the same issue: keep the feature it has.
        if (error instanceof IdempotencyKeyReusedError) return { feature: undefined, created: false };
        throw error;
      },
    );
    if (!feature) return { kind: 'ignored', reason: `issue #${issue.number} already has a feature` };
    return { kind: 'feature', featureId: feature.id, created };
  }
  return { kind: 'ignored', reason: `event ${event} is not handled` };
}
