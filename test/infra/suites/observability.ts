import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentTypes } from '../../../lambdas/core/task.js';
import { METRIC_NAMESPACE, metricNames } from '../../../lambdas/ports/metrics.js';
import { serviceNames } from '../../../lib/service-names.js';
import { logicalIdOf, resourcesOf, type Synthesized } from '../synth-fixture.js';

export function describeObservability(shared: () => Synthesized): void {
  describe('Observability', () => {
    let dev: Synthesized;
    let dashboardBody: string;
    beforeAll(() => {
      dev = shared();
      const [dashboard] = Object.values(resourcesOf(dev.template, 'AWS::CloudWatch::Dashboard'));
      const body = dashboard!.Properties!['DashboardBody'] as string | { 'Fn::Join': [string, unknown[]] };
      // Tokens (queue names, ARNs) are joined in by CloudFormation; the literal parts are what the test reads.
      dashboardBody = typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
    });

    const alarms = () => Object.values(resourcesOf(dev.template, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties!);
    const topicRef = () => ({ Ref: logicalIdOf(dev.stack.observability.alarmTopic) });

    it('sends every alarm, and its recovery, to the alarm topic, which e-mails the configured address', () => {
      expect(alarms().length).toBeGreaterThan(0);
      for (const alarm of alarms()) expect(alarm).toMatchObject({ AlarmActions: [topicRef()], OKActions: [topicRef()], TreatMissingData: 'notBreaching' });
      dev.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topicRef() });
    });

    it('alarms as soon as any dead-letter queue holds a message', () => {
      const queues = [...agentTypes.map((agentType) => dev.stack.queues.byAgentType[agentType].deadLetterQueue), dev.stack.orchestrator.failureEventsDeadLetterQueue];
      for (const queue of queues) {
        dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(queue), 'QueueName'] } }],
          Statistic: 'Maximum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
    });

    it('alarms on failed or timed-out executions of the feature state machine', () => {
      const stateMachineDimension = [{ Name: 'StateMachineArn', Value: { Ref: logicalIdOf(dev.stack.orchestrator.stateMachine) } }];
      dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 1,
        Metrics: Match.arrayWith([
          Match.objectLike({ MetricStat: Match.objectLike({ Metric: { Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', Dimensions: stateMachineDimension } }) }),
          Match.objectLike({ MetricStat: Match.objectLike({ Metric: { Namespace: 'AWS/States', MetricName: 'ExecutionsTimedOut', Dimensions: stateMachineDimension } }) }),
        ]),
      });
    });

    it('alarms on any 5xx from the HTTP API', () => {
      dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalIdOf(dev.stack.api.httpApi) } }],
        Statistic: 'Sum',
        Threshold: 1,
      });
    });

    it('alarms on webhook signature failures, on the metric the webhook handler emits', () => {
      dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRIC_NAMESPACE,
        MetricName: metricNames.webhookSignatureFailures,
        Dimensions: [{ Name: 'service', Value: serviceNames.webhook }],
        Statistic: 'Sum',
      });
    });

    it('graphs every business metric the handlers emit', () => {
      for (const name of Object.values(metricNames)) expect({ name, graphed: dashboardBody.includes(name) }).toEqual({ name, graphed: true });
      expect(dashboardBody).toContain(`"${METRIC_NAMESPACE}"`);
    });

    it('graphs features, task duration percentiles, queue depth and age, DLQ depth, agent errors, tokens, cost, gate pass rate and coverage', () => {
      for (const title of [
        'Features started / succeeded / failed',
        'Task duration p50 (ms)',
        'Task duration p90 (ms)',
        'Queue depth (visible messages)',
        'Age of oldest message (s)',
        'Dead-letter queue depth',
        'Agent errors',
        'Tokens used',
        'Model cost (USD)',
        'Gate pass rate (%)',
        'Coverage (%)',
      ]) {
        expect({ title, present: dashboardBody.includes(`"title":"${title}"`) }).toEqual({ title, present: true });
      }
      expect(dashboardBody).toContain('"stat":"p50"');
      expect(dashboardBody).toContain('"stat":"p90"');
      expect(dashboardBody).toContain('ApproximateAgeOfOldestMessage');
      for (const agentType of agentTypes) expect(dashboardBody).toContain(`"AgentType","${agentType}"`);
    });
  });
}
