import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { featureRoutes } from '../lambdas/http/routes/feature-routes.js';
import type { FeatureAuthorizerConfig } from './config.js';
import { pascalCase } from './construct-ids.js';
import { DsfFunction } from './dsf-function.js';
import { acknowledge } from './nag.js';
import type { Orchestrator } from './orchestrator.js';
import type { Secrets } from './secrets.js';
import { serviceNames } from './service-names.js';
import type { Storage } from './storage.js';

export const webhookRouteKey = 'POST /webhooks/github';
export const webhookEntry = 'github-webhook';

/**
 * What each feature route's function may do. Read routes only read; submit and
 * cancel also start or stop the feature's execution. A route missing here fails
 * synthesis, so a new route gets a decision instead of a default.
 */
const routeRights: Readonly<Record<string, { readonly writes: boolean; readonly workflow?: 'start' | 'stop'; readonly transcripts?: 'read' }>> = {
  'submit-feature': { writes: true, workflow: 'start' },
  'list-features': { writes: false },
  'get-feature': { writes: false },
  'list-feature-tasks': { writes: false },
  'list-feature-events': { writes: false },
  'get-feature-transcript': { writes: false, transcripts: 'read' },
  'cancel-feature': { writes: true, workflow: 'stop' },
  'get-metrics': { writes: false },
};

export interface ApiProps {
  readonly stage: string;
  readonly storage: Storage;
  readonly orchestrator: Orchestrator;
  readonly secrets: Secrets;
  readonly authorizer: FeatureAuthorizerConfig;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * Browser origins that may call the API (CORS). API Gateway then answers preflight
   * requests itself, before any authorizer.
   * @default none: no CORS configuration, browsers on other origins are refused
   */
  readonly corsAllowedOrigins?: readonly string[];
  /** The API variables of lambdas/config.ts besides TABLE_NAME and STATE_MACHINE_ARN. */
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** `GET /features/{id}` → method and path. */
export function parseRouteKey(routeKey: string): { method: apigwv2.HttpMethod; path: string } {
  const [method, path, ...rest] = routeKey.split(' ');
  if (!method || !path || rest.length > 0 || !(method in apigwv2.HttpMethod)) throw new Error(`not a route key: ${routeKey}`);
  return { method: apigwv2.HttpMethod[method as keyof typeof apigwv2.HttpMethod], path };
}

/**
 * What the dashboard sends to the feature routes: JSON bodies with an idempotency key,
 * and either a JWT (`authorization`) or a SigV4 signature (`authorization` and `x-amz-*`).
 */
function corsFor(allowOrigins: readonly string[]): apigwv2.CorsPreflightOptions {
  return {
    allowOrigins: [...allowOrigins],
    allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST],
    allowHeaders: ['accept', 'authorization', 'content-type', 'idempotency-key', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token'],
    maxAge: Duration.hours(1),
  };
}

/**
 * The HTTP API: one function per feature route (lambdas/http/routes/feature-routes.ts)
 * behind an IAM or JWT authorizer, and `POST /webhooks/github`, which has no
 * authorizer because GitHub cannot present one: its handler authenticates each
 * delivery by the HMAC signature over the raw body. One `$default` stage with
 * throttling and JSON access logs.
 */
export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  readonly routeFunctions: Readonly<Record<string, DsfFunction>>;
  readonly webhookFunction: DsfFunction;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const authorizer =
      props.authorizer.kind === 'jwt'
        ? new HttpJwtAuthorizer('FeaturesJwtAuthorizer', props.authorizer.issuer, { jwtAudience: [...props.authorizer.audience] })
        : new HttpIamAuthorizer();
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `dsf-${props.stage}`,
      description: `DSF ${props.stage}: feature requests and GitHub webhooks`,
      // The stage is created below, with throttling and access logs the default stage cannot take.
      createDefaultStage: false,
      ...(props.corsAllowedOrigins?.length ? { corsPreflight: corsFor(props.corsAllowedOrigins) } : {}),
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle.rateLimit, burstLimit: props.throttle.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            caller: '$context.identity.caller',
            principal: '$context.authorizer.principalId',
          }),
        ),
      },
    });

    const missing = featureRoutes.filter((route) => !(route.entry in routeRights)).map((route) => route.entry);
    if (missing.length > 0) throw new Error(`no rights decided for API route function(s): ${missing.join(', ')} (lib/api.ts)`);
    const apiFunction = (entry: string, description: string, serviceName: (typeof serviceNames)['api' | 'webhook'], extra: Record<string, string> = {}) =>
      new DsfFunction(this, pascalCase(entry), {
        code: { entry },
        description,
        serviceName,
        environment: {
          TABLE_NAME: props.storage.table.tableName,
          STATE_MACHINE_ARN: props.orchestrator.stateMachine.stateMachineArn,
          ...props.environment,
          ...extra,
        },
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });

    this.routeFunctions = Object.fromEntries(
      featureRoutes.map((route) => {
        const rights = routeRights[route.entry]!;
        // Only the transcript route gets the bucket: the other functions then never build an S3 client.
        const fn = apiFunction(route.entry, `DSF API ${route.routeKey}`, serviceNames.api, rights.transcripts ? props.storage.transcriptEnvironment : {});
        if (rights.writes) props.storage.grantReadWriteData(fn.role);
        else props.storage.grantReadData(fn.role);
        if (rights.transcripts === 'read') props.storage.grantTranscriptRead(fn.role);
        if (rights.workflow === 'start') props.orchestrator.grantStartExecution(fn);
        if (rights.workflow === 'stop') props.orchestrator.grantStopExecution(fn);
        const { method, path } = parseRouteKey(route.routeKey);
        this.httpApi.addRoutes({
          path,
          methods: [method],
          integration: new HttpLambdaIntegration(`${pascalCase(route.entry)}Integration`, fn.function),
          authorizer,
        });
        return [route.entry, fn];
      }),
    );

    this.webhookFunction = apiFunction(webhookEntry, `DSF API ${webhookRouteKey} (GitHub deliveries)`, serviceNames.webhook, {
      DSF_WEBHOOK_SECRET_ID: props.secrets.webhookSecret.secretArn,
    });
    props.storage.grantReadWriteData(this.webhookFunction.role);
    props.orchestrator.grantStartExecution(this.webhookFunction);
    props.secrets.webhookSecret.grantRead(this.webhookFunction.role);
    const { method, path } = parseRouteKey(webhookRouteKey);
    const [webhookRoute] = this.httpApi.addRoutes({
      path,
      methods: [method],
      integration: new HttpLambdaIntegration('GithubWebhookIntegration', this.webhookFunction.function),
      authorizer: new apigwv2.HttpNoneAuthorizer(),
    });
    acknowledge(
      webhookRoute!,
      'AwsSolutions-APIG4',
      'GitHub webhook deliveries cannot carry IAM or JWT credentials; the handler authenticates each one by its X-Hub-Signature-256 HMAC over the raw body before parsing it, and refusals are counted and alarmed on.',
    );
  }

  get url(): string {
    return this.stage.url;
  }
}
