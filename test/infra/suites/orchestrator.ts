import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentTypes } from '../../../lambdas/core/task.js';
import { stepFunctions } from '../../../lambdas/orchestration/step-functions.js';
import { PLANNER_TIMEOUT_MS } from '../../../lambdas/agents/model-planner.js';
import { definitionPlaceholders, distributedMapLabels, featureDefinitionFile, modelSteps, queueUrlPlaceholder, unrecordedEndStatuses } from '../../../lib/orchestrator.js';
import { actionsOf, logicalIdOf, resourcesOf, statementsOfRole, synthesize, type Synthesized } from '../synth-fixture.js';

// asl-validator ships CommonJS without type declarations.
const validateAsl = z
  .function({ input: [z.unknown()], output: z.object({ isValid: z.boolean(), errorsText: z.function({ input: [z.string()], output: z.string() }) }) })
  .implement(createRequire(import.meta.url)('asl-validator'));

const definitionText = readFileSync(featureDefinitionFile, 'utf8');
const stateMachineSchema = z.object({ Properties: z.looseObject({ DefinitionSubstitutions: z.record(z.string(), z.unknown()) }) });

export function describeOrchestrator(shared: () => Synthesized): void {
  describe('Orchestrator', () => {
    let dev: Synthesized;
    let machine: z.infer<typeof stateMachineSchema>;
    beforeAll(() => {
      dev = shared();
      const machines = Object.values(resourcesOf(dev.template, 'AWS::StepFunctions::StateMachine'));
      expect(machines).toHaveLength(1);
      machine = stateMachineSchema.parse(machines[0]);
    });

    it('deploys statemachines/feature.asl.json as a Standard state machine with X-Ray tracing', () => {
      dev.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'dsf-dev-feature',
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        // DefinitionBody.fromFile: the file goes up as an asset, substitutions are applied by CloudFormation.
        DefinitionS3Location: Match.objectLike({ Key: Match.stringLikeRegexp('\\.json$') }),
      });
    });

    it('logs ALL events to its own log group', () => {
      dev.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: false,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logicalIdOf(dev.stack.orchestrator.logGroup), 'Arn'] } } }],
        },
      });
      dev.template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/vendedlogs/states/dsf-dev-feature', RetentionInDays: 30 });
    });

    it('substitutes every placeholder of the definition: the six step functions and the four agent queues', () => {
      const substitutions = machine.Properties.DefinitionSubstitutions;

      expect(Object.keys(substitutions).sort()).toEqual(definitionPlaceholders(definitionText).sort());
      for (const step of stepFunctions) {
        expect({ [step.substitution]: substitutions[step.substitution] }).toEqual({
          [step.substitution]: { 'Fn::GetAtt': [logicalIdOf(dev.stack.orchestrator.stepFunctions[step.entry]!.function), 'Arn'] },
        });
      }
      for (const agentType of agentTypes) {
        expect({ [queueUrlPlaceholder(agentType)]: substitutions[queueUrlPlaceholder(agentType)] }).toEqual({
          [queueUrlPlaceholder(agentType)]: { Ref: logicalIdOf(dev.stack.queues.byAgentType[agentType].queue) },
        });
      }
    });

    it('passes asl-validator with the substitutions applied', () => {
      const arnFor = (name: string) =>
        name.endsWith('QueueUrl')
          ? `https://sqs.us-east-1.amazonaws.com/111111111111/dsf-${name}`
          : `arn:aws:lambda:us-east-1:111111111111:function:dsf-${name.replace(/FunctionArn$/, '')}`;
      const substituted = Object.keys(machine.Properties.DefinitionSubstitutions).reduce(
        (text, name) => text.replaceAll(`\${${name}}`, arnFor(name)),
        definitionText,
      );
      expect(substituted).not.toMatch(/\$\{/);

      const result = validateAsl(JSON.parse(substituted));

      expect(result.errorsText('\n')).toBe('');
      expect(result.isValid).toBe(true);
    });

    it('lets the state machine invoke exactly its six functions and send to exactly the four agent queues', () => {
      const statements = statementsOfRole(dev.template, logicalIdOf(dev.stack.orchestrator.stateMachine.role));
      const invoke = statements.filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'));
      const send = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('sqs:')));

      expect(invoke).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: stepFunctions.map((step) => ({ 'Fn::GetAtt': [logicalIdOf(dev.stack.orchestrator.stepFunctions[step.entry]!.function), 'Arn'] })),
        },
      ]);
      expect(send).toEqual([
        {
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: agentTypes.map((agentType) => ({ 'Fn::GetAtt': [logicalIdOf(dev.stack.queues.byAgentType[agentType].queue), 'Arn'] })),
        },
      ]);
      // Everything else on the role: Distributed Map children (when the definition has one), and the logging and tracing CDK adds.
      const labels = distributedMapLabels(JSON.parse(definitionText));
      const children = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('states:')));
      expect(children.map((statement) => ({ actions: actionsOf(statement).sort(), resource: JSON.stringify(statement.Resource) }))).toEqual(
        labels.length === 0
          ? []
          : [
              { actions: ['states:StartExecution'], resource: expect.stringMatching(/:stateMachine:dsf-dev-feature"/) },
              {
                actions: ['states:DescribeExecution', 'states:RedriveExecution', 'states:StopExecution'],
                resource: expect.stringMatching(new RegExp(`:execution:dsf-dev-feature/${labels[0]!.replace('*', '\\*')}:\\*`)),
              },
            ],
      );
      const rest = statements.filter((statement) => !invoke.includes(statement) && !send.includes(statement) && !children.includes(statement)).flatMap(actionsOf);
      expect(rest.every((action) => action.startsWith('logs:') || action.startsWith('xray:'))).toBe(true);
    });

    it('finds the Distributed Map states whose children the role must manage', () => {
      const machine = (mode: string, label?: string) => ({
        StartAt: 'M',
        States: { M: { Type: 'Map', ...(label ? { Label: label } : {}), ItemProcessor: { ProcessorConfig: { Mode: mode }, StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true } },
      });

      expect(distributedMapLabels(machine('INLINE'))).toEqual([]);
      expect(distributedMapLabels(machine('DISTRIBUTED', 'Tasks'))).toEqual(['Tasks']);
      expect(distributedMapLabels(machine('DISTRIBUTED'))).toEqual(['*']);
    });

    it('lets only the scheduler steps release task tokens, and every step read and write the table', () => {
      for (const step of stepFunctions) {
        const fn = dev.stack.orchestrator.stepFunctions[step.entry]!;
        const actions = statementsOfRole(dev.template, logicalIdOf(fn.role)).flatMap(actionsOf);

        expect({ step: step.entry, states: actions.filter((action) => action.startsWith('states:')) }).toEqual({
          step: step.entry,
          states: ['await-dependencies', 'mark-task-failed'].includes(step.entry) ? ['states:SendTaskSuccess'] : [],
        });
        expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem']));
      }
    });

    it('gives the Plan step, and no other step, the planner model: the workers’ model environment, Bedrock statements and transcript bucket', () => {
      const plan = dev.stack.orchestrator.stepFunctions['plan-feature']!;
      const worker = dev.stack.agents.workers.code;
      const variables = (fn: typeof plan) => dev.template.toJSON().Resources[logicalIdOf(fn.function)].Properties.Environment.Variables as Record<string, unknown>;
      const bedrock = (fn: typeof plan) =>
        statementsOfRole(dev.template, logicalIdOf(fn.role))
          .filter((statement) => actionsOf(statement).includes('bedrock:InvokeModel'))
          .map(({ Action, Resource, Condition }) => ({ Action, Resource, Condition }));
      const modelVariables = ['DSF_MODEL', 'DSF_MODEL_REVIEW', 'DSF_BUDGET_TASK', 'DSF_BUDGET_FEATURE', 'DSF_MODEL_PRICES', 'DSF_TRANSCRIPT_BUCKET', 'DSF_TRANSCRIPT_RETENTION_DAYS'];

      expect(modelSteps).toEqual(['plan-feature']);
      expect(variables(plan)).toMatchObject({
        DSF_MODEL: 'bedrock:us.anthropic.claude-sonnet-4-20250514-v1:0',
        DSF_MODEL_REVIEW: 'bedrock:anthropic.claude-3-5-haiku-20241022-v1:0',
        DSF_MODEL_PRICES: '{"my-model":{"input":1,"output":2}}',
        DSF_TRANSCRIPT_BUCKET: { Ref: logicalIdOf(dev.stack.storage.transcriptBucket) },
      });
      expect(Object.fromEntries(modelVariables.map((name) => [name, variables(plan)[name]]))).toEqual(Object.fromEntries(modelVariables.map((name) => [name, variables(worker)[name]])));
      expect(bedrock(plan)).toHaveLength(3);
      expect(bedrock(plan)).toEqual(bedrock(worker));
      for (const step of stepFunctions.filter((candidate) => candidate.entry !== 'plan-feature')) {
        const fn = dev.stack.orchestrator.stepFunctions[step.entry]!;
        expect({ step: step.entry, bedrock: bedrock(fn), model: variables(fn)['DSF_MODEL'], bucket: variables(fn)['DSF_TRANSCRIPT_BUCKET'] }).toEqual({
          step: step.entry,
          bedrock: [],
          model: undefined,
          bucket: undefined,
        });
      }
    });

    it('gives the Plan step time for the planner’s model call and the work after it', () => {
      const plan = dev.stack.orchestrator.stepFunctions['plan-feature']!;
      const timeout = dev.template.toJSON().Resources[logicalIdOf(plan.function)].Properties.Timeout as number;

      expect(timeout * 1000).toBeGreaterThanOrEqual(PLANNER_TIMEOUT_MS + 60_000);
    });

    it('with Anthropic and OpenAI models: the Plan step reads both keys by ARN, and no other step reads either', () => {
      const { template, stack } = synthesize({ modelProvider: 'anthropic', modelId: 'claude-sonnet-4-5', roleModels: '{"planner":"openai:gpt-5"}' });
      const keys = [stack.secrets.anthropicApiKey!, stack.secrets.openaiApiKey!].map((secret) => ({ Ref: logicalIdOf(secret) }));
      const keyReads = (entry: string) =>
        statementsOfRole(template, logicalIdOf(stack.orchestrator.stepFunctions[entry]!.role))
          .filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'))
          .map((statement) => statement.Resource)
          .filter((resource) => keys.some((key) => JSON.stringify(key) === JSON.stringify(resource)));
      const plan = stack.orchestrator.stepFunctions['plan-feature']!;

      expect(keyReads('plan-feature')).toEqual(keys);
      expect(template.toJSON().Resources[logicalIdOf(plan.function)].Properties.Environment.Variables).toMatchObject({
        DSF_MODEL: 'anthropic:claude-sonnet-4-5',
        DSF_MODEL_PLANNER: 'openai:gpt-5',
        DSF_ANTHROPIC_API_KEY_SECRET_ID: keys[0],
        DSF_OPENAI_API_KEY_SECRET_ID: keys[1],
      });
      expect(statementsOfRole(template, logicalIdOf(plan.role)).flatMap(actionsOf).some((action) => action.startsWith('bedrock:'))).toBe(false);
      for (const step of stepFunctions.filter((candidate) => candidate.entry !== 'plan-feature')) expect({ step: step.entry, reads: keyReads(step.entry) }).toEqual({ step: step.entry, reads: [] });
    });

    it('records a feature as failed when its execution fails, times out or is aborted outside the definition’s Catch', () => {
      const recordFailure = dev.stack.orchestrator.stepFunctions['record-failure']!;
      const [rule] = Object.values(resourcesOf(dev.template, 'AWS::Events::Rule'));

      expect(rule!.Properties).toMatchObject({
        EventPattern: {
          source: ['aws.states'],
          'detail-type': ['Step Functions Execution Status Change'],
          detail: {
            stateMachineArn: [{ Ref: logicalIdOf(dev.stack.orchestrator.stateMachine) }],
            name: [{ prefix: 'feature-' }],
            status: [...unrecordedEndStatuses],
          },
        },
        Targets: [
          {
            Arn: { 'Fn::GetAtt': [logicalIdOf(recordFailure.function), 'Arn'] },
            InputTransformer: {
              InputPathsMap: { 'detail-name': '$.detail.name', 'detail-status': '$.detail.status' },
              InputTemplate: '{"executionName":<detail-name>,"error":{"Error":<detail-status>}}',
            },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(dev.stack.orchestrator.failureEventsDeadLetterQueue), 'Arn'] } },
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
          },
        ],
      });
      dev.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [logicalIdOf(recordFailure.function), 'Arn'] },
      });
    });
  });
}
