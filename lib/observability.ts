import { Duration } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { agentTypes, type AgentType } from '../lambdas/core/task.js';
import { METRIC_NAMESPACE, metricNames, type MetricName } from '../lambdas/ports/metrics.js';
import { pascalCase } from './construct-ids.js';
import type { DsfFunction } from './dsf-function.js';
import type { AgentQueue } from './queues.js';
import { serviceNames, type ServiceName } from './service-names.js';

const period = Duration.minutes(5);

/** Webhook deliveries with a bad signature per 5 minutes before someone should look: a few are scanners, a burst is an attack or a rotated secret. */
export const WEBHOOK_SIGNATURE_FAILURE_THRESHOLD = 5;

export interface ObservabilityProps {
  readonly stage: string;
  readonly alarmEmail?: string;
  readonly agentQueues: Readonly<Record<AgentType, AgentQueue>>;
  /** Other dead-letter queues that must stay empty (the EventBridge failure recorder's). */
  readonly otherDeadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  readonly stateMachine: sfn.IStateMachine;
  readonly httpApi: apigwv2.HttpApi;
  readonly workers: Readonly<Record<AgentType, DsfFunction>>;
}

/** A DSF business metric as the handlers emit it (EMF through Powertools Metrics: `service` is always a dimension). */
export function dsfMetric(name: MetricName, service: ServiceName, options: { statistic?: string; dimensions?: Record<string, string>; label?: string } = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: name,
    dimensionsMap: { service, ...options.dimensions },
    statistic: options.statistic ?? 'Sum',
    period,
    ...(options.label ? { label: options.label } : {}),
  });
}

/** Every series of a metric whatever its dimensions, for metrics whose emitter does not exist yet (tokens, cost, gates, coverage). */
const searchOf = (name: MetricName, statistic: string): string => `SEARCH('Namespace="${METRIC_NAMESPACE}" MetricName="${name}"', '${statistic}', ${period.toSeconds()})`;

/**
 * The alarms (to an SNS topic, and e-mail when configured) and the dashboard.
 * Business metrics are named from lambdas/ports/metrics.ts, the list the
 * handlers emit from, so a graph cannot point at a metric nobody writes.
 */
export class Observability extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: `DSF ${props.stage} alarms`, enforceSSL: true });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const alarmAction = new actions.SnsAction(this.alarmTopic);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, options: { threshold: number; description: string }) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `dsf-${props.stage}-${alarmId.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`,
        alarmDescription: options.description,
        metric,
        threshold: options.threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(alarmAction);
      created.addOkAction(alarmAction);
      this.alarms.push(created);
      return created;
    };

    const deadLetterQueues: Record<string, sqs.IQueue> = {
      ...Object.fromEntries(agentTypes.map((agentType) => [`${pascalCase(agentType)}Agent`, props.agentQueues[agentType].deadLetterQueue])),
      ...props.otherDeadLetterQueues,
    };
    for (const [name, queue] of Object.entries(deadLetterQueues)) {
      alarm(`${name}DeadLetterQueueNotEmpty`, queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }), {
        threshold: 1,
        description: `A message reached the ${name} dead-letter queue: it failed every receive. Inspect it, fix the cause, then redrive or delete it.`,
      });
    }
    const failedExecutions = new cloudwatch.MathExpression({
      expression: 'failed + timedOut',
      usingMetrics: {
        failed: props.stateMachine.metricFailed({ period, statistic: 'Sum' }),
        timedOut: props.stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
      },
      label: 'Executions failed or timed out',
      period,
    });
    alarm('ExecutionsFailed', failedExecutions, {
      threshold: 1,
      description: 'A feature execution failed or timed out. Its feature is recorded as failed; the execution history says where.',
    });
    alarm('Api5xx', props.httpApi.metricServerError({ period, statistic: 'Sum' }), {
      threshold: 1,
      description: 'The HTTP API answered 5xx: a handler crashed or timed out. The access log and the function logs have the request id.',
    });
    alarm('WebhookSignatureFailures', dsfMetric(metricNames.webhookSignatureFailures, serviceNames.webhook), {
      threshold: WEBHOOK_SIGNATURE_FAILURE_THRESHOLD,
      description: 'GitHub webhook deliveries failed signature checks: the secret on the GitHub App and in Secrets Manager differ, or someone is forging deliveries.',
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `dsf-${props.stage}`,
      defaultInterval: Duration.hours(24),
      widgets: dashboardRows(props, this.alarms),
    });
  }
}

function dashboardRows(props: ObservabilityProps, alarms: readonly cloudwatch.Alarm[]): cloudwatch.IWidget[][] {
  const orchestrator = (name: MetricName, label: string) => dsfMetric(name, serviceNames.orchestrator, { label });
  const perAgent = (build: (agentType: AgentType) => cloudwatch.IMetric) => agentTypes.map(build);
  // No label: each series a search returns is then named by its own dimensions (e.g. AgentType).
  const search = (name: MetricName, statistic: string) => new cloudwatch.MathExpression({ expression: searchOf(name, statistic), period, usingMetrics: {} });
  const graph = (title: string, left: cloudwatch.IMetric[], width = 8, extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
    new cloudwatch.GraphWidget({ title, left, width, height: 6, ...extra });

  return [
    [
      graph('Features started / succeeded / failed', [
        orchestrator(metricNames.featuresStarted, 'started'),
        orchestrator(metricNames.featuresSucceeded, 'succeeded'),
        orchestrator(metricNames.featuresFailed, 'failed'),
      ]),
      graph('Task duration p50 (ms)', perAgent((agentType) => dsfMetric(metricNames.taskDuration, serviceNames.agentWorker, { statistic: 'p50', dimensions: { AgentType: agentType }, label: agentType }))),
      graph('Task duration p90 (ms)', perAgent((agentType) => dsfMetric(metricNames.taskDuration, serviceNames.agentWorker, { statistic: 'p90', dimensions: { AgentType: agentType }, label: agentType }))),
    ],
    [
      graph('Queue depth (visible messages)', perAgent((agentType) => props.agentQueues[agentType].queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: agentType }))),
      graph('Age of oldest message (s)', perAgent((agentType) => props.agentQueues[agentType].queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum', label: agentType }))),
      graph('Dead-letter queue depth', [
        ...perAgent((agentType) => props.agentQueues[agentType].deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: agentType })),
        ...Object.entries(props.otherDeadLetterQueues).map(([name, queue]) => queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: name })),
      ]),
    ],
    [
      graph('Agent errors', [
        ...perAgent((agentType) => dsfMetric(metricNames.agentErrors, serviceNames.agentWorker, { dimensions: { AgentType: agentType }, label: `${agentType} agent` })),
        ...perAgent((agentType) => props.workers[agentType].function.metricErrors({ period, statistic: 'Sum', label: `${agentType} worker crashes` })),
      ]),
      graph('Tokens used', [search(metricNames.tokensUsed, 'Sum')], 8),
      graph('Model cost (USD)', [search(metricNames.costUsd, 'Sum')], 8),
    ],
    [
      graph(
        'Gate pass rate (%)',
        [
          new cloudwatch.MathExpression({
            expression: `100 * SUM(${searchOf(metricNames.gatesPassed, 'Sum')}) / (SUM(${searchOf(metricNames.gatesPassed, 'Sum')}) + SUM(${searchOf(metricNames.gatesFailed, 'Sum')}))`,
            label: 'gates passed',
            period,
            usingMetrics: {},
          }),
        ],
        8,
        { leftYAxis: { min: 0, max: 100 } },
      ),
      graph('Coverage (%)', [search(metricNames.coveragePercent, 'Average')], 8, { leftYAxis: { min: 0, max: 100 } }),
      graph('Executions', [
        props.stateMachine.metricStarted({ period, statistic: 'Sum', label: 'started' }),
        props.stateMachine.metricSucceeded({ period, statistic: 'Sum', label: 'succeeded' }),
        props.stateMachine.metricFailed({ period, statistic: 'Sum', label: 'failed' }),
        props.stateMachine.metricTimedOut({ period, statistic: 'Sum', label: 'timed out' }),
      ]),
    ],
    [
      graph('API requests and errors', [
        props.httpApi.metricCount({ period, statistic: 'Sum', label: 'requests' }),
        props.httpApi.metricClientError({ period, statistic: 'Sum', label: '4xx' }),
        props.httpApi.metricServerError({ period, statistic: 'Sum', label: '5xx' }),
      ]),
      graph('Webhook signature failures', [dsfMetric(metricNames.webhookSignatureFailures, serviceNames.webhook, { label: 'refused deliveries' })]),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 8, height: 6, alarms: [...alarms] }),
    ],
  ];
}
