import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentTypes } from '../../lambdas/core/task.js';
import { actionsOf, logicalIdOf, resourcesOf, statementsOfRole, synthesize, type Synthesized } from './synth-fixture.js';

describe('transcript bodies bucket', () => {
  let dev: Synthesized;
  beforeAll(() => {
    dev = synthesize();
  });
  const bucketId = () => logicalIdOf(dev.stack.storage.transcriptBucket);
  const s3Statements = (role: Parameters<typeof logicalIdOf>[0]) =>
    statementsOfRole(dev.template, logicalIdOf(role)).filter((statement) => actionsOf(statement).some((action) => action.startsWith('s3:')));
  const objectsArn = () => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId(), 'Arn'] }, '/transcripts/*']] });

  it('is encrypted, private, owner-enforced and expires bodies after the retention', () => {
    dev.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: 30, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } })] },
    });
    expect(Object.keys(resourcesOf(dev.template, 'AWS::S3::Bucket'))).toEqual([bucketId()]);
  });

  it('refuses every request that is not over TLS', () => {
    dev.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId() },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: { AWS: '*' } }),
        ]),
      },
    });
  });

  it('lets every agent worker put bodies under transcripts/ only, and tells it where the bucket is', () => {
    for (const type of agentTypes) {
      const worker = dev.stack.agents.workers[type];
      expect({ type, statements: s3Statements(worker.role).map((s) => ({ Action: s.Action, Resource: s.Resource })) }).toEqual({
        type,
        statements: [{ Action: 's3:PutObject', Resource: objectsArn() }],
      });
    }
    dev.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DSF_AGENT_TYPE: 'code', DSF_TRANSCRIPT_BUCKET: { Ref: bucketId() }, DSF_TRANSCRIPT_RETENTION_DAYS: '30' }) },
    });
  });

  it('lets the Plan step put the planner’s bodies under transcripts/ only, and no other step touch the bucket', () => {
    const plan = dev.stack.orchestrator.stepFunctions['plan-feature']!;

    expect(s3Statements(plan.role).map((s) => ({ Action: s.Action, Resource: s.Resource }))).toEqual([{ Action: 's3:PutObject', Resource: objectsArn() }]);
    dev.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('plan-feature'),
      Environment: { Variables: Match.objectLike({ DSF_TRANSCRIPT_BUCKET: { Ref: bucketId() }, DSF_TRANSCRIPT_RETENTION_DAYS: '30' }) },
    });
    for (const [entry, fn] of Object.entries(dev.stack.orchestrator.stepFunctions)) {
      if (entry !== 'plan-feature') expect({ entry, s3: s3Statements(fn.role) }).toEqual({ entry, s3: [] });
    }
  });

  it('lets the transcript route read bodies and list its prefix, and no other API function touch the bucket', () => {
    const transcriptRoute = dev.stack.api.routeFunctions['get-feature-transcript']!;

    expect(s3Statements(transcriptRoute.role).map((s) => ({ Action: s.Action, Resource: s.Resource, Condition: s.Condition }))).toEqual([
      { Action: 's3:GetObject', Resource: objectsArn(), Condition: undefined },
      { Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucketId(), 'Arn'] }, Condition: { StringLike: { 's3:prefix': ['transcripts/*'] } } },
    ]);
    for (const [entry, fn] of Object.entries(dev.stack.api.routeFunctions)) {
      if (entry !== 'get-feature-transcript') expect({ entry, s3: s3Statements(fn.role) }).toEqual({ entry, s3: [] });
    }
    expect(s3Statements(dev.stack.api.webhookFunction.role)).toEqual([]);
  });

  it('routes GET /features/{id}/transcript to its function with the bucket in its environment', () => {
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /features/{id}/transcript' });
    dev.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'DSF API GET /features/{id}/transcript',
      Environment: { Variables: Match.objectLike({ DSF_TRANSCRIPT_BUCKET: { Ref: bucketId() } }) },
    });
  });
});
