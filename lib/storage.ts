import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { tableDesign } from '../lambdas/adapters/dynamodb/table-design.js';

export interface StorageProps {
  /** Deletion protection on, and the table kept when the stack goes. @default false */
  readonly deletionProtection?: boolean;
}

/**
 * The item operations the DynamoDB adapters issue. Transactions need no action
 * of their own: IAM authorizes each Put, Update, Delete and ConditionCheck in
 * them. UpdateItem grants nothing PutItem does not (the pull request store uses it).
 */
const readActions = ['dynamodb:GetItem', 'dynamodb:Query'];
const writeActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'];

/**
 * The single table of lambdas/adapters/dynamodb/table-design.ts: on-demand,
 * point-in-time recovery, TTL on `expiresAt`, GSI1 for listing features.
 * Grants name the table and GSI1 only (no `index/*`).
 */
export class Storage extends Construct {
  readonly table: dynamodb.Table;

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
  }

  /** Get and Query on the table and GSI1. */
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
