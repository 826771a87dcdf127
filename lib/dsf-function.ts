import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Size, type ILocalBundling } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE } from '../lambdas/ports/metrics.js';
import { bundleFileName, handlerEntryPath, handlerNodeOptions, nodeTarget, repoRoot } from './bundling.js';
import { acknowledge, XRAY_WILDCARD_REASON } from './nag.js';
import type { ServiceName } from './service-names.js';

/** The Node.js major version of every function: the zip runtime, the esbuild target and the worker image's base. */
export const nodeMajorVersion = Number(nodeTarget.replace(/^node/, ''));
/** Kept equal to `nodejs${nodeMajorVersion}.x` (a test checks it, and the worker image's base tag). */
export const nodeRuntime = lambda.Runtime.NODEJS_22_X;
export const functionArchitecture = lambda.Architecture.ARM_64;

export type DsfFunctionCode =
  /** `lambdas/<entry>/handler.ts`, bundled into a zip asset with lib/bundling.ts. */
  | { readonly entry: string }
  /** A container image (the agent workers, which need git at run time). */
  | { readonly image: lambda.DockerImageCode };

export interface DsfFunctionProps {
  readonly code: DsfFunctionCode;
  readonly description: string;
  /** POWERTOOLS_SERVICE_NAME, and the `service` dimension of the function's metrics. */
  readonly serviceName: ServiceName;
  /** Variables of the handler's config schema (lambdas/config.ts); the Powertools ones are added here. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default 512 MB (also buys CPU, which shortens cold starts) */
  readonly memorySize?: number;
  /** @default 512 MiB, Lambda's minimum */
  readonly ephemeralStorageSize?: Size;
  readonly logRetention: logs.RetentionDays;
  /** Of the function's log group. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The one base of every DSF function: Node.js 22 on arm64 (or a container image
 * on arm64), esbuild bundles from lib/bundling.ts, its own log group with
 * retention, JSON logs, active X-Ray tracing, and a role that holds only what
 * the owning construct grants plus writing its own logs (no managed policy).
 */
export class DsfFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DsfFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (execution role)`,
    });
    this.logGroup.grantWrite(this.role);

    const common = {
      description: props.description,
      architecture: functionArchitecture,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      timeout: props.timeout ?? Duration.seconds(10),
      memorySize: props.memorySize ?? 512,
      ...(props.ephemeralStorageSize ? { ephemeralStorageSize: props.ephemeralStorageSize } : {}),
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        NODE_OPTIONS: handlerNodeOptions,
      },
    } satisfies Partial<lambda.FunctionProps>;

    this.function =
      'entry' in props.code
        ? new lambda.Function(this, 'Function', {
            ...common,
            runtime: nodeRuntime,
            handler: `${path.basename(bundleFileName, '.mjs')}.handler`,
            code: handlerAsset(props.code.entry),
          })
        : new lambda.DockerImageFunction(this, 'Function', { ...common, code: props.code.image });

    if ('entry' in props.code) {
      acknowledge(
        this.function,
        'AwsSolutions-L1',
        `Node.js ${nodeMajorVersion} (LTS, supported by Lambda until 2027-04-30) is chosen on purpose: the bundles target ${nodeTarget} (lib/bundling.ts) and the agent worker image uses the matching Lambda base image; the three move together.`,
      );
    }
    // Tracing ACTIVE put the X-Ray statement into the default policy; grants added later use specific ARNs.
    acknowledge(this.role.node.findChild('DefaultPolicy'), 'AwsSolutions-IAM5[Resource::*]', XRAY_WILDCARD_REASON);
  }
}

/**
 * A zip asset holding `lambdas/<entry>/handler.ts` bundled by lib/bundle-handler.ts,
 * the same code path `npm run bench:bundle` measures. Bundling runs locally with
 * the repository's esbuild; it never falls back to Docker.
 */
export function handlerAsset(entry: string): lambda.AssetCode {
  return lambda.Code.fromAsset(path.dirname(handlerEntryPath(entry)), {
    // The hash of the bundle itself: a dependency upgrade changes the code even when lambdas/ does not.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('unused-local-bundling-only'),
      local: new LocalHandlerBundling(handlerEntryPath(entry)),
    },
  });
}

class LocalHandlerBundling implements ILocalBundling {
  constructor(readonly entryFile: string) {}

  tryBundle(outputDir: string): boolean {
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'lib', 'bundle-handler.ts'), this.entryFile, outputDir], {
      cwd: repoRoot,
      encoding: 'utf8',
      // Loader options of the parent (a test runner's, say) have no business in the bundler.
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    if (result.status !== 0) {
      throw new Error(`bundling ${path.relative(repoRoot, this.entryFile)} failed:\n${result.stderr || result.error?.message || ''}`);
    }
    return true;
  }
}

/**
 * Lets a function complete, fail or heartbeat waitForTaskToken states. Kept in
 * a policy of its own so its wildcard is acknowledged for this reason alone.
 */
export function allowTaskTokenCallbacks(fn: DsfFunction, actions: readonly ('states:SendTaskSuccess' | 'states:SendTaskFailure' | 'states:SendTaskHeartbeat')[]): iam.Policy {
  const policy = new iam.Policy(fn, 'TaskTokenCallbacks', {
    statements: [new iam.PolicyStatement({ actions: [...actions], resources: ['*'] })],
    roles: [fn.role],
  });
  acknowledge(
    policy,
    'AwsSolutions-IAM5[Resource::*]',
    'Task-token callbacks: states:SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat have no resource-level permissions (the token itself names the execution), so IAM requires Resource "*".',
  );
  return policy;
}
