import { z } from 'zod';
import { canTransition, isTerminal, type TransitionTable } from './status-machine.js';

export const featureStatuses = [
  'queued',
  'planning',
  'running',
  'gating',
  'pr_open',
  'merged',
  'failed',
  'cancelled',
  'needs_human',
] as const;
export const featureStatusSchema = z.enum(featureStatuses);
export type FeatureStatus = z.infer<typeof featureStatusSchema>;

/**
 * Legal feature transitions. `gating → running` is the fix loop (a failed gate
 * sends a fix task back to the agents); `needs_human` waits for a person and can
 * resume planning or running. merged, failed and cancelled are terminal.
 */
export const featureTransitions: TransitionTable<FeatureStatus> = {
  queued: ['planning', 'failed', 'cancelled'],
  planning: ['running', 'failed', 'cancelled', 'needs_human'],
  running: ['gating', 'failed', 'cancelled', 'needs_human'],
  gating: ['pr_open', 'running', 'failed', 'cancelled', 'needs_human'],
  pr_open: ['merged', 'gating', 'failed', 'cancelled', 'needs_human'],
  needs_human: ['planning', 'running', 'gating', 'failed', 'cancelled'],
  merged: [],
  failed: [],
  cancelled: [],
};

export const canTransitionFeature = (from: FeatureStatus, to: FeatureStatus): boolean =>
  canTransition(featureTransitions, from, to);
export const isTerminalFeatureStatus = (status: FeatureStatus): boolean => isTerminal(featureTransitions, status);

/** Feature ids are ULIDs with a prefix: sortable by creation time, safe in branch names. */
export const featureIdSchema = z.string().regex(/^feat_[0-9A-HJKMNP-TV-Z]{26}$/, 'must look like feat_<ULID>');
export type FeatureId = z.infer<typeof featureIdSchema>;

/** A repository name in the git host: `name` or `owner/name`. */
export const repoNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?$/, 'must be a repository name like "demo" or "owner/name"');

/** A git branch name, restricted to what is safe on a command line and in a ref. */
export const branchNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/-]+(?<![./])$/, 'must be a valid git branch name');

/**
 * Where a feature was asked for, so progress can be reported there. Absent for
 * features submitted through the API or the CLI.
 */
export const featureSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('github_issue'), repo: repoNameSchema, issueNumber: z.number().int().positive() }),
]);
export type FeatureSource = z.infer<typeof featureSourceSchema>;

export const featureSchema = z.object({
  id: featureIdSchema,
  title: z.string().min(1).max(200),
  description: z.string().max(20_000),
  repo: repoNameSchema,
  baseBranch: branchNameSchema,
  status: featureStatusSchema,
  /** Why the feature is in its status (failure reason, who cancelled); cleared on the next transition. */
  statusReason: z.string().max(2_000).optional(),
  source: featureSourceSchema.optional(),
  /** The feature's pull request once it is open; `mergeCommit` once merged. */
  pullRequest: z
    .object({ number: z.number().int().positive(), url: z.string().optional(), mergeCommit: z.string().optional() })
    .optional(),
  taskIds: z.array(z.string()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** Optimistic-concurrency counter, bumped on every write. */
  version: z.number().int().nonnegative(),
});
export type Feature = z.infer<typeof featureSchema>;
