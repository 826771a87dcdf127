import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTableInput, tableDesign } from '../../../lambdas/adapters/dynamodb/table-design.js';
import { resourcesOf, synthesize, type Synthesized } from '../synth-fixture.js';

export function describeStorage(shared: () => Synthesized): void {
  describe('Storage', () => {
    let dev: Synthesized;
    beforeAll(() => {
      dev = shared();
    });

    it('creates the table the store expects: keys, attribute types and GSI1 exactly as createTableInput', () => {
      const expected = createTableInput('unused');
      const [table] = Object.values(resourcesOf(dev.template, 'AWS::DynamoDB::Table'));
      const properties = table!.Properties!;
      const byName = <T extends { AttributeName?: string; IndexName?: string }>(items: T[]) =>
        [...items].sort((a, b) => (a.AttributeName ?? a.IndexName ?? '').localeCompare(b.AttributeName ?? b.IndexName ?? ''));

      expect(Object.keys(resourcesOf(dev.template, 'AWS::DynamoDB::Table'))).toHaveLength(1);
      expect(properties['KeySchema']).toEqual(expected.KeySchema);
      expect(byName(properties['AttributeDefinitions'] as { AttributeName: string }[])).toEqual(byName(expected.AttributeDefinitions!));
      expect(properties['GlobalSecondaryIndexes']).toEqual(expected.GlobalSecondaryIndexes);
      expect(properties['BillingMode']).toBe(expected.BillingMode);
    });

    it('is on-demand with point-in-time recovery and TTL on the store’s expiry attribute', () => {
      dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: tableDesign.ttlAttribute, Enabled: true },
      });
    });

    it('leaves deletion protection off and deletes the table with a dev stack', () => {
      dev.template.hasResource('AWS::DynamoDB::Table', {
        Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
        DeletionPolicy: 'Delete',
      });
    });

    it('turns deletion protection on and retains the table, secrets and logs when configured (the default for prod)', () => {
      for (const context of [{ deletionProtection: 'true' }, { stage: 'prod' }]) {
        const { template } = synthesize(context);

        template.hasResource('AWS::DynamoDB::Table', {
          Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
          DeletionPolicy: 'Retain',
          UpdateReplacePolicy: 'Retain',
        });
        for (const type of ['AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup']) {
          for (const [logicalId, resource] of Object.entries(template.findResources(type))) {
            expect({ logicalId, policy: (resource as { DeletionPolicy?: string }).DeletionPolicy }).toEqual({ logicalId, policy: 'Retain' });
          }
        }
      }
    });
  });
}
