/**
 * The Powertools service names the handlers give their Logger and Metrics
 * (lambdas/aws-deps.ts). Powertools Metrics adds `service` as a dimension to
 * every metric, so alarms and dashboard graphs must name the same service; a
 * test reads aws-deps.ts to keep the two lists equal.
 */
export const serviceNames = {
  api: 'dsf-api',
  webhook: 'dsf-webhook',
  orchestrator: 'dsf-orchestrator',
  agentWorker: 'dsf-agent-worker',
} as const;

export type ServiceName = (typeof serviceNames)[keyof typeof serviceNames];
