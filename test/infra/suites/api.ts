import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { featureRoutes } from '../../../lambdas/http/routes/feature-routes.js';
import { webhookRouteKey } from '../../../lib/api.js';
import { actionsOf, logicalIdOf, resourcesOf, statementsOfRole, synthesize, type Synthesized } from '../synth-fixture.js';

const readOnlyEntries = ['list-features', 'get-feature', 'list-feature-tasks', 'list-feature-events', 'get-metrics'];

export function describeApi(shared: () => Synthesized): void {
  describe('Api', () => {
    let dev: Synthesized;
    beforeAll(() => {
      dev = shared();
    });

    const routeFor = (synthesized: Synthesized, routeKey: string) => {
      const match = Object.values(resourcesOf(synthesized.template, 'AWS::ApiGatewayV2::Route')).find((route) => route.Properties?.['RouteKey'] === routeKey);
      if (!match) throw new Error(`no route ${routeKey}`);
      return match.Properties!;
    };
    const actionsOfFunction = (entry: string) =>
      statementsOfRole(dev.template, logicalIdOf((entry === 'github-webhook' ? dev.stack.api.webhookFunction : dev.stack.api.routeFunctions[entry]!).role)).flatMap(actionsOf);

    it('routes every feature route to its own function, behind IAM authorization by default', () => {
      dev.template.resourceCountIs('AWS::ApiGatewayV2::Route', featureRoutes.length + 1);
      for (const route of featureRoutes) {
        const properties = routeFor(dev, route.routeKey);
        expect({ route: route.routeKey, auth: properties['AuthorizationType'] }).toEqual({ route: route.routeKey, auth: 'AWS_IAM' });
        const integrationId = JSON.stringify(properties['Target']).match(/"(Api\w+Integration\w+)"/)?.[1];
        const integration = dev.template.toJSON().Resources[integrationId!].Properties;
        expect(integration).toMatchObject({
          IntegrationType: 'AWS_PROXY',
          PayloadFormatVersion: '2.0',
          IntegrationUri: { 'Fn::GetAtt': [logicalIdOf(dev.stack.api.routeFunctions[route.entry]!.function), 'Arn'] },
        });
      }
    });

    it('leaves the GitHub webhook route without an authorizer: its handler checks the HMAC signature', () => {
      expect(routeFor(dev, webhookRouteKey)).toMatchObject({ AuthorizationType: 'NONE' });
      dev.template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ DSF_WEBHOOK_SECRET_ID: { Ref: logicalIdOf(dev.stack.secrets.webhookSecret) } }) },
      });
    });

    it('puts a JWT authorizer on the feature routes when configured, and still none on the webhook', () => {
      const jwt = synthesize({ authorizer: 'jwt', jwtIssuer: 'https://login.example.com/', jwtAudience: 'dsf-api' });

      jwt.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['dsf-api'] },
      });
      const [authorizerId] = Object.keys(resourcesOf(jwt.template, 'AWS::ApiGatewayV2::Authorizer'));
      for (const route of featureRoutes) expect(routeFor(jwt, route.routeKey)).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
      expect(routeFor(jwt, webhookRouteKey)).toMatchObject({ AuthorizationType: 'NONE' });
    });

    it('configures no CORS by default, and the given origins for the dashboard when set', () => {
      expect(resourcesOf(dev.template, 'AWS::ApiGatewayV2::Api')).toSatisfy((apis: Record<string, { Properties?: Record<string, unknown> }>) =>
        Object.values(apis).every((api) => api.Properties?.['CorsConfiguration'] === undefined),
      );

      const cors = synthesize({ corsAllowedOrigins: 'https://dsf.example.com,http://localhost:5173' });

      cors.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: {
          AllowOrigins: ['https://dsf.example.com', 'http://localhost:5173'],
          AllowMethods: ['GET', 'POST'],
          AllowHeaders: Match.arrayWith(['authorization', 'content-type', 'idempotency-key', 'x-amz-date', 'x-amz-security-token']),
          MaxAge: 3600,
        },
      });
    });

    it('throttles the stage and writes JSON access logs to a log group with retention', () => {
      dev.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 15, ThrottlingBurstLimit: 30 },
        AccessLogSettings: {
          DestinationArn: { 'Fn::GetAtt': [logicalIdOf(dev.stack.api.accessLogs), 'Arn'] },
          Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
        },
      });
      const format = JSON.parse(
        (Object.values(resourcesOf(dev.template, 'AWS::ApiGatewayV2::Stage'))[0]!.Properties!['AccessLogSettings'] as { Format: string }).Format,
      ) as Record<string, string>;
      expect(Object.keys(format)).toEqual(expect.arrayContaining(['requestId', 'ip', 'routeKey', 'status', 'integrationError', 'authorizerError']));
      dev.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });

    it('gives read routes read-only table access and no workflow rights', () => {
      for (const entry of readOnlyEntries) {
        const actions = actionsOfFunction(entry);
        expect({ entry, dynamodb: actions.filter((action) => action.startsWith('dynamodb:')).sort() }).toEqual({ entry, dynamodb: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'] });
        expect({ entry, states: actions.filter((action) => action.startsWith('states:')) }).toEqual({ entry, states: [] });
      }
    });

    it('lets submit and the webhook start executions, cancel stop them, and nothing more', () => {
      const states = (entry: string) => actionsOfFunction(entry).filter((action) => action.startsWith('states:')).sort();

      expect(states('submit-feature')).toEqual(['states:DescribeExecution', 'states:StartExecution']);
      expect(states('github-webhook')).toEqual(['states:DescribeExecution', 'states:StartExecution']);
      expect(states('cancel-feature')).toEqual(['states:DescribeExecution', 'states:StopExecution']);
      const submit = statementsOfRole(dev.template, logicalIdOf(dev.stack.api.routeFunctions['submit-feature']!.role));
      expect(submit.find((statement) => actionsOf(statement).includes('states:StartExecution'))?.Resource).toEqual({
        Ref: logicalIdOf(dev.stack.orchestrator.stateMachine),
      });
      expect(JSON.stringify(submit.find((statement) => actionsOf(statement).includes('states:DescribeExecution'))?.Resource)).toContain(':execution:dsf-dev-feature:*');
    });

    it('lets only the webhook function read the webhook secret (and, with a GitHub App, its key)', () => {
      for (const entry of [...featureRoutes.map((route) => route.entry), 'github-webhook']) {
        const statements = statementsOfRole(
          dev.template,
          logicalIdOf((entry === 'github-webhook' ? dev.stack.api.webhookFunction : dev.stack.api.routeFunctions[entry]!).role),
        );
        const reads = statements.filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue')).map((statement) => statement.Resource);
        const webhookReads = [{ Ref: logicalIdOf(dev.stack.secrets.webhookSecret) }, { Ref: logicalIdOf(dev.stack.secrets.githubAppPrivateKey) }];
        expect({ entry, reads }).toEqual({ entry, reads: entry === 'github-webhook' ? webhookReads : [] });
      }
    });

    it('gives the API functions the configuration lambdas/config.ts reads', () => {
      for (const fn of [...Object.values(dev.stack.api.routeFunctions), dev.stack.api.webhookFunction]) {
        const variables = dev.template.toJSON().Resources[logicalIdOf(fn.function)].Properties.Environment.Variables;
        expect(variables).toMatchObject({
          TABLE_NAME: { Ref: logicalIdOf(dev.stack.storage.table) },
          STATE_MACHINE_ARN: { Ref: logicalIdOf(dev.stack.orchestrator.stateMachine) },
          DSF_DEFAULT_REPO: 'demo',
          DSF_DEFAULT_BASE_BRANCH: 'main',
          DSF_IDEMPOTENCY_TTL_SECONDS: '86400',
        });
      }
    });
  });
}
