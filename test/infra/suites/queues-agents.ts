import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentTypes } from '../../../lambdas/core/task.js';
import { workerDockerfile } from '../../../lib/agents.js';
import { nodeMajorVersion } from '../../../lib/dsf-function.js';
import { featureDefinitionFile } from '../../../lib/orchestrator.js';
import { VISIBILITY_TIMEOUT_FACTOR } from '../../../lib/queues.js';
import { actionsOf, logicalIdOf, resourcesOf, statementsOfRole, synthesize, type Synthesized } from '../synth-fixture.js';

/** HeartbeatSeconds and TimeoutSeconds of the agent Dispatch states, read from the definition the stack deploys. */
const dispatchTimings = (() => {
  const text = readFileSync(featureDefinitionFile, 'utf8');
  const heartbeat = [...text.matchAll(/"HeartbeatSeconds":\s*(\d+)/g)].map((match) => Number(match[1]));
  const timeout = [...text.matchAll(/"Resource":\s*"arn:aws:states:::sqs:sendMessage\.waitForTaskToken"[\s\S]*?"TimeoutSeconds":\s*(\d+)/g)].map((match) => Number(match[1]));
  return { heartbeatSeconds: Math.min(...heartbeat), timeoutSeconds: Math.min(...timeout) };
})();

export function describeQueuesAndAgents(shared: () => Synthesized): void {
  describe('Queues and agent workers', () => {
    let dev: Synthesized;
    beforeAll(() => {
      dev = shared();
    });

    const worker = (agentType: (typeof agentTypes)[number]) => dev.stack.agents.workers[agentType];
    const workerProperties = (agentType: (typeof agentTypes)[number]) =>
      dev.template.toJSON().Resources[logicalIdOf(worker(agentType).function)].Properties as Record<string, unknown> & {
        Timeout: number;
        Environment: { Variables: Record<string, unknown> };
      };

    it('gives every agent type a queue and a dead-letter queue, nothing more', () => {
      expect(Object.keys(dev.stack.queues.byAgentType).sort()).toEqual([...agentTypes].sort());
      // 4 agent queues, 4 agent DLQs, the EventBridge failure recorder's DLQ.
      dev.template.resourceCountIs('AWS::SQS::Queue', agentTypes.length * 2 + 1);
    });

    it('redrives each agent queue to its own dead-letter queue after maxReceiveCount receives', () => {
      for (const agentType of agentTypes) {
        const { queue, deadLetterQueue } = dev.stack.queues.byAgentType[agentType];

        dev.template.hasResourceProperties('AWS::SQS::Queue', {
          QueueName: Match.absent(),
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(deadLetterQueue), 'Arn'] }, maxReceiveCount: dev.stack.queues.maxReceiveCount },
        });
        expect(dev.template.toJSON().Resources[logicalIdOf(queue)].Properties.RedrivePolicy.deadLetterTargetArn).toEqual({
          'Fn::GetAtt': [logicalIdOf(deadLetterQueue), 'Arn'],
        });
      }
      expect(dev.stack.queues.maxReceiveCount).toBeGreaterThanOrEqual(2);
    });

    it('refuses non-TLS access to every queue and encrypts them at rest', () => {
      for (const [logicalId, queue] of Object.entries(resourcesOf(dev.template, 'AWS::SQS::Queue'))) {
        expect({ logicalId, sse: queue.Properties?.['SqsManagedSseEnabled'] }).toEqual({ logicalId, sse: true });
        dev.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: logicalId }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });

    it('sets each visibility timeout to at least six times the worker timeout', () => {
      for (const agentType of agentTypes) {
        const { queue } = dev.stack.queues.byAgentType[agentType];
        const visibility = dev.template.toJSON().Resources[logicalIdOf(queue)].Properties.VisibilityTimeout as number;

        expect(visibility).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_FACTOR * workerProperties(agentType).Timeout);
        expect(VISIBILITY_TIMEOUT_FACTOR).toBeGreaterThanOrEqual(6);
      }
    });

    it('consumes each queue with its own worker: batch size 1, partial batch failures, maximum concurrency from the configuration', () => {
      const expectedConcurrency = { code: 6, test: 2, review: 2, conflict: 2 };
      dev.template.resourceCountIs('AWS::Lambda::EventSourceMapping', agentTypes.length);
      for (const agentType of agentTypes) {
        dev.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          FunctionName: { Ref: logicalIdOf(worker(agentType).function) },
          EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(dev.stack.queues.byAgentType[agentType].queue), 'Arn'] },
          BatchSize: 1,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: expectedConcurrency[agentType] },
        });
      }
    });

    it('tells the workers and the scheduler the same agent concurrency', () => {
      for (const agentType of agentTypes) {
        expect(JSON.parse(workerProperties(agentType).Environment.Variables['DSF_AGENT_CONCURRENCY'] as string)).toEqual({ code: 6, test: 2, review: 2, conflict: 1 });
      }
      const plan = dev.stack.orchestrator.stepFunctions['plan-feature']!;
      const planEnvironment = dev.template.toJSON().Resources[logicalIdOf(plan.function)].Properties.Environment.Variables;
      expect(JSON.parse(planEnvironment.DSF_AGENT_CONCURRENCY)).toEqual({ code: 6, test: 2, review: 2, conflict: 1 });
    });

    it('fits one agent attempt and its heartbeats inside the worker timeout and the Dispatch state’s limits', () => {
      for (const agentType of agentTypes) {
        const { Timeout, Environment } = workerProperties(agentType);
        const attemptMs = Number(Environment.Variables['DSF_ATTEMPT_TIMEOUT_MS']);
        const heartbeatMs = Number(Environment.Variables['DSF_HEARTBEAT_EVERY_MS']);

        expect(attemptMs).toBeLessThan(Timeout * 1000);
        expect(Timeout).toBeLessThanOrEqual(dispatchTimings.timeoutSeconds);
        // Two heartbeats may be lost before the state's HeartbeatSeconds runs out.
        expect(heartbeatMs * 3).toBeLessThanOrEqual(dispatchTimings.heartbeatSeconds * 1000);
      }
    });

    it('runs the workers as arm64 container images built from the repository’s Dockerfile on the Node.js Lambda base image', () => {
      for (const agentType of agentTypes) {
        expect(workerProperties(agentType)).toMatchObject({ PackageType: 'Image', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      }
      const dockerfile = readFileSync(new URL(`../../../${workerDockerfile}`, import.meta.url), 'utf8');
      const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((match) => match[1]);
      expect(new Set(bases)).toEqual(new Set([`public.ecr.aws/lambda/nodejs:${nodeMajorVersion}`]));
      expect(dockerfile).toMatch(/dnf install -y git/);
      expect(dockerfile).toMatch(/^CMD \["index\.handler"\]$/m);
    });

    it('stages only the files the image build reads, for linux/arm64', () => {
      const manifest = JSON.parse(readFileSync(path.join(dev.outdir, `${dev.stack.artifactId}.assets.json`), 'utf8')) as {
        dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
      };
      const images = Object.values(manifest.dockerImages);
      expect(images).toHaveLength(1);
      expect(images[0]!.source).toMatchObject({ dockerFile: workerDockerfile, platform: 'linux/arm64' });

      const staged = readdirSync(path.join(dev.outdir, images[0]!.source.directory), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(path.join(dev.outdir, images[0]!.source.directory), path.join(entry.parentPath, entry.name)));
      const topLevel = [...new Set(staged.map((file) => file.split(path.sep)[0]))].sort();
      expect(topLevel).toEqual(['docker', 'lambdas', 'lib', 'package-lock.json', 'package.json', 'tsconfig.json']);
      expect(staged.filter((file) => file.startsWith('lib') || file.startsWith('docker')).sort()).toEqual(
        [workerDockerfile, 'lib/bundle-handler.ts', 'lib/bundling.ts'].map((file) => file.split('/').join(path.sep)).sort(),
      );
      expect(staged.some((file) => file.includes('node_modules'))).toBe(false);
      expect(staged).toContain(path.join('lambdas', 'agent-worker', 'handler.ts'));
    });

    it('lets workers complete task tokens, and nothing else of Step Functions', () => {
      for (const agentType of agentTypes) {
        const statements = statementsOfRole(dev.template, logicalIdOf(worker(agentType).role));
        const states = statements.flatMap(actionsOf).filter((action) => action.startsWith('states:'));

        expect(states.sort()).toEqual(['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess']);
        expect(statements.find((statement) => actionsOf(statement).includes('states:SendTaskSuccess'))?.Resource).toBe('*');
      }
    });

    it('lets workers read the GitHub App key and call the configured Bedrock models, a profile’s model through the profile only', () => {
      for (const agentType of agentTypes) {
        const statements = statementsOfRole(dev.template, logicalIdOf(worker(agentType).role));
        const secretReads = statements.filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
        const bedrock = statements.filter((statement) => actionsOf(statement).includes('bedrock:InvokeModel'));

        expect(secretReads.map((statement) => statement.Resource)).toEqual([{ Ref: logicalIdOf(dev.stack.secrets.githubAppPrivateKey) }]);
        expect(bedrock.every((statement) => actionsOf(statement).includes('bedrock:InvokeModelWithResponseStream'))).toBe(true);
        const resources = JSON.stringify(bedrock.map((statement) => statement.Resource));
        expect(resources).toContain(':inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0');
        // The review role's own model, a plain model id: its foundation model in this region only.
        expect(resources).toMatch(/:bedrock:",\{"Ref":"AWS::Region"\},"::foundation-model\/anthropic\.claude-3-5-haiku-20241022-v1:0"/);
        expect(bedrock.filter((statement) => JSON.stringify(statement.Resource).includes(':bedrock:*:')).map((statement) => statement.Condition)).toEqual([
          { StringEquals: { 'bedrock:InferenceProfileArn': expect.anything() } },
        ]);
        expect(workerProperties(agentType).Environment.Variables).toMatchObject({
          DSF_AGENT_TYPE: agentType,
          DSF_MODEL: 'bedrock:us.anthropic.claude-sonnet-4-20250514-v1:0',
          DSF_MODEL_REVIEW: 'bedrock:anthropic.claude-3-5-haiku-20241022-v1:0',
          DSF_BUDGET_TASK: '{"usd":5}',
          DSF_BUDGET_FEATURE: '{"usd":40,"steps":400}',
          DSF_MODEL_PRICES: '{"my-model":{"input":1,"output":2}}',
        });
        expect(Object.keys(workerProperties(agentType).Environment.Variables).filter((name) => name.endsWith('_API_KEY_SECRET_ID'))).toEqual([]);
      }
    });

    it('with Anthropic and OpenAI models instead of Bedrock: a key secret per vendor the workers may read, and no Bedrock permission', () => {
      const { template, stack } = synthesize({
        modelProvider: 'anthropic',
        modelId: 'claude-sonnet-4-5',
        roleModels: '{"review":"openai:gpt-5"}',
        openaiBaseUrl: 'https://llm.example.com/v1',
      });
      const [anthropicKey, openaiKey] = [stack.secrets.anthropicApiKey!, stack.secrets.openaiApiKey!];

      template.resourceCountIs('AWS::SecretsManager::Secret', 4);
      template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'dsf/dev/anthropic-api-key' });
      template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'dsf/dev/openai-api-key' });
      for (const agentType of agentTypes) {
        const fn = stack.agents.workers[agentType];
        const statements = statementsOfRole(template, logicalIdOf(fn.role));
        expect(statements.flatMap(actionsOf).some((action) => action.startsWith('bedrock:'))).toBe(false);
        const reads = statements.filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue')).map((statement) => statement.Resource);
        expect(reads).toEqual([{ Ref: logicalIdOf(anthropicKey) }, { Ref: logicalIdOf(openaiKey) }]);
        template.hasResourceProperties('AWS::Lambda::Function', {
          Environment: {
            Variables: Match.objectLike({
              DSF_AGENT_TYPE: agentType,
              DSF_MODEL: 'anthropic:claude-sonnet-4-5',
              DSF_MODEL_REVIEW: 'openai:gpt-5',
              OPENAI_BASE_URL: 'https://llm.example.com/v1',
              DSF_ANTHROPIC_API_KEY_SECRET_ID: { Ref: logicalIdOf(anthropicKey) },
              DSF_OPENAI_API_KEY_SECRET_ID: { Ref: logicalIdOf(openaiKey) },
            }),
          },
        });
      }
      // Besides the workers, only the Plan step calls a model (see Orchestrator).
      for (const [entry, fn] of Object.entries(stack.orchestrator.stepFunctions).filter(([entry]) => entry !== 'plan-feature')) {
        expect({ entry, readsKey: JSON.stringify(statementsOfRole(template, logicalIdOf(fn.role))).includes(logicalIdOf(anthropicKey)) }).toEqual({ entry, readsKey: false });
      }
    });
  });
}
