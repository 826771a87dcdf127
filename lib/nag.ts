import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Shorter than this, a reason cannot say why the finding is acceptable. */
export const MIN_REASON_LENGTH = 20;

/**
 * Acknowledges one cdk-nag finding (v3: `Validations.of(…).acknowledge`) on a
 * construct and everything under it. cdk-nag 3 matches whole finding ids such as
 * `AwsSolutions-IAM5[Resource::*]`; there is no prefix matching, so each
 * acknowledgement names exactly one finding.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < MIN_REASON_LENGTH) {
    throw new Error(`the acknowledgement of ${id} at ${scope.node.path} needs a specific reason (at least ${MIN_REASON_LENGTH} characters)`);
  }
  Validations.of(scope).acknowledge({ id, reason });
}

/** Every acknowledgement recorded under `scope`, with where it was made. */
export function acknowledgementsUnder(scope: IConstruct): { path: string; id: string; reason: string }[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && entry.data)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** X-Ray's trace-writing actions have no resource-level permissions; IAM only accepts `*` for them. */
export const XRAY_WILDCARD_REASON =
  'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so IAM requires Resource "*" for them.';

/**
 * The id cdk-nag gives an IAM5 finding on `resourceArn`, for an exact
 * acknowledgement: `AwsSolutions-IAM5[Resource::<flattened ARN>]`, with
 * references written as cdk-nag writes them (`<AWS::Region>`, `<Logical.Arn>`).
 */
export function wildcardResourceFinding(scope: IConstruct, resourceArn: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(scope).resolve(resourceArn))}]`;
}

function flattenReference(node: unknown): string {
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node && typeof node === 'object') {
    const fn = node as Record<string, unknown>;
    if (Array.isArray(fn['Fn::Join'])) {
      const [delimiter, parts] = fn['Fn::Join'] as [string, unknown[]];
      return parts.map(flattenReference).join(delimiter);
    }
    if (fn['Fn::Sub'] !== undefined) return flattenReference(fn['Fn::Sub']);
    if (Array.isArray(fn['Fn::GetAtt'])) {
      const [resource, attribute] = fn['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
    }
    if (fn['Ref'] !== undefined) return `<${flattenReference(fn['Ref'])}>`;
  }
  return JSON.stringify(node);
}
