import { Logger } from '@aws-lambda-powertools/logger';
import { buildNewFeature, featureRequestSchema, type FeatureRequest } from '../../lambdas/core/new-feature.js';
import type { Clock, IdSource } from '../../lambdas/ports/clock.js';
import { createUlidIdSource } from '../../lambdas/adapters/ulid-id-source.js';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private current = new Date('2026-11-25T10:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const silentLogger = () => new Logger({ serviceName: 'dsf-test', logLevel: 'SILENT' });

export const ids: IdSource = createUlidIdSource();

export function sampleRequest(overrides: Partial<FeatureRequest> = {}): FeatureRequest {
  return featureRequestSchema.parse({
    title: 'Add a health endpoint',
    description: 'GET /health returns 200 and the build version.',
    tasks: [
      { id: 'endpoint', title: 'Add the route', acceptanceCriteria: ['GET /health returns 200'] },
      { id: 'tests', title: 'Test the route', agentType: 'test', dependsOn: ['endpoint'] },
      { id: 'docs', title: 'Document it', kind: 'docs', dependsOn: ['endpoint'] },
    ],
    ...overrides,
  });
}

export function sampleFeature(clock: Clock, overrides: Partial<FeatureRequest> = {}) {
  return buildNewFeature(sampleRequest(overrides), {
    id: `feat_${ids.ulid()}`,
    now: clock.now().toISOString(),
    defaults: { repo: 'demo', baseBranch: 'main' },
  });
}
