import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { tableDesign } from '../lambdas/adapters/dynamodb/table-design.js';
import { acknowledge, wildcardResourceFinding } from './nag.js';

/** Every transcript body key starts so (lambdas/core/transcript-body.ts); grants name this prefix only. */
const TRANSCRIPT_PREFIX = 'transcripts/';

export interface StorageProps {
  /** Deletion protection on, and the table kept when the stack goes. @default false */
  readonly deletionProtection?: boolean;
  /** Days transcript bodies (bucket lifecycle) and entries (table TTL) are kept. @default 30 */
  readonly transcriptRetentionDays?: number;
}

/**
 * The item operations the DynamoDB adapters issue. Transactions need no action
 * of their own: IAM authorizes each Put, Update, Delete and ConditionCheck in
 * them. UpdateItem grants nothing PutItem does not (the pull request store uses it).
 */
const readActions = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const writeActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'];

/**
 * The single table of lambdas/adapters/dynamodb/table-design.ts: on-demand,
 * point-in-time recovery, TTL on `expiresAt`, GSI1 for listing features.
 * Grants name the table and GSI1 only (no `index/*`).
 */
export class Storage extends Construct {
  readonly table: dynamodb.Table;
  /** Transcript bodies too large for the table: encrypted, TLS only, private, expiring. */
  readonly transcriptBucket: s3.Bucket;
  /** The lambdas/config.ts variables that point a function's transcript store at the bucket. */
  readonly transcriptEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const { partitionKey, sortKey, featureIndex, ttlAttribute } = tableDesign;
    const deletionProtection = props.deletionProtection ?? false;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: ttlAttribute,
      deletionProtection,
      removalPolicy: deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: featureIndex.name,
      partitionKey: { name: featureIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: featureIndex.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    const retentionDays = props.transcriptRetentionDays ?? 30;
    this.transcriptBucket = new s3.Bucket(this, 'TranscriptBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'ExpireTranscriptBodies', expiration: Duration.days(retentionDays), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      // CloudFormation cannot delete a bucket that still has objects, and emptying it would take a
      // custom-resource function; a bucket left behind empties itself by the lifecycle rule.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.transcriptBucket,
      'AwsSolutions-S1',
      'Only the stack’s own functions read and write this bucket, through IAM grants on the transcripts/ prefix; request-level audit belongs in CloudTrail data events, and server access logs would need a second bucket of their own.',
    );
    this.transcriptEnvironment = {
      DSF_TRANSCRIPT_BUCKET: this.transcriptBucket.bucketName,
      DSF_TRANSCRIPT_RETENTION_DAYS: String(retentionDays),
    };
  }

  /** PutObject under transcripts/ (the agent workers). */
  grantTranscriptWrite(role: iam.Role): void {
    this.grantTranscripts(role, ['s3:PutObject'], 'writes');
  }

  /**
   * GetObject under transcripts/, and ListBucket on that prefix: without it S3
   * answers a missing (expired) body with 403 instead of 404.
   */
  grantTranscriptRead(role: iam.Role): void {
    this.grantTranscripts(role, ['s3:GetObject'], 'reads');
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.transcriptBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${TRANSCRIPT_PREFIX}*`] } },
      }),
    );
  }

  private grantTranscripts(role: iam.Role, actions: string[], verb: string): void {
    const objects = this.transcriptBucket.arnForObjects(`${TRANSCRIPT_PREFIX}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [objects] }));
    acknowledge(
      role,
      wildcardResourceFinding(role, objects),
      `The function ${verb} transcript bodies, one object per offloaded agent turn under keys made at run time; the grant is limited to the transcripts/ prefix of this one bucket.`,
    );
  }

  /** Get, BatchGet and Query on the table and GSI1. */
  grantReadData(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, readActions);
  }

  /** What the stores need to change state: reads plus Put, Update, Delete and ConditionCheck. */
  grantReadWriteData(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, [...readActions, ...writeActions]);
  }

  private grant(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.table.tableArn, `${this.table.tableArn}/index/${tableDesign.featureIndex.name}`],
    });
  }
}
