/**
 * The business metrics DSF emits, by name. One list shared by the handlers
 * (EMF through Powertools Metrics on AWS) and the CDK dashboard and alarms,
 * so a graph can never point at a metric nobody emits under that name.
 */
export const METRIC_NAMESPACE = 'DSF';

export const metricNames = {
  featuresStarted: 'FeaturesStarted',
  featuresSucceeded: 'FeaturesSucceeded',
  featuresFailed: 'FeaturesFailed',
  /** Milliseconds from running to the task's end; dimension AgentType. */
  taskDuration: 'TaskDuration',
  agentErrors: 'AgentErrors',
  tokensUsed: 'TokensUsed',
  costUsd: 'CostUsd',
  gatesPassed: 'GatesPassed',
  gatesFailed: 'GatesFailed',
  coveragePercent: 'CoveragePercent',
  webhookSignatureFailures: 'WebhookSignatureFailures',
} as const;
export type MetricName = (typeof metricNames)[keyof typeof metricNames];

export type MetricUnit = 'Count' | 'Milliseconds' | 'Percent' | 'None';

export interface AppMetrics {
  add(name: MetricName, unit: MetricUnit, value: number, dimensions?: Record<string, string>): void;
  /** Writes what was added (one EMF line on AWS); call at the end of each invocation. */
  flush(): void;
}

export const noMetrics: AppMetrics = { add: () => undefined, flush: () => undefined };
