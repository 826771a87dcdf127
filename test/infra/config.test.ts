import { describe, expect, it } from 'vitest';
import { ContextError, defaultAgentConcurrency, parseContext } from '../../lib/config.js';

const fromContext = (context: Record<string, unknown>) => parseContext((key) => context[key]);

describe('CDK context', () => {
  it('has a documented default for every setting, so a fresh clone synthesizes', () => {
    const config = fromContext({});

    expect(config).toEqual({
      stage: 'dev',
      authorizer: { kind: 'iam' },
      agentConcurrency: defaultAgentConcurrency,
      model: { provider: 'bedrock', id: 'us.anthropic.claude-sonnet-4-20250514-v1:0' },
      deletionProtection: false,
      logRetentionDays: 30,
      api: { rateLimit: 20, burstLimit: 40 },
      corsAllowedOrigins: [],
      schedulingPolicy: 'priority',
      defaults: { repo: 'demo', baseBranch: 'main' },
    });
  });

  it('parses the strings `-c key=value` passes: JSON, numbers, booleans, comma lists', () => {
    const config = fromContext({
      stage: 'prod',
      authorizer: 'jwt',
      jwtIssuer: 'https://issuer.example.com/',
      jwtAudience: 'dsf-api, dsf-cli',
      agentConcurrency: '{"code":8,"conflict":2}',
      logRetentionDays: '90',
      apiRateLimit: '5',
      deletionProtection: 'false',
      githubAppId: '123456',
      githubInstallationId: '987',
      githubOwner: 'acme',
      alarmEmail: 'ops@example.com',
      modelProvider: 'anthropic',
      roleModels: '{"review":"bedrock:us.anthropic.claude-opus-4-1-20250805-v1:0"}',
      budgetTask: '{"usd":5}',
      modelPrices: { 'my-model': { input: 1, output: 2 } },
      modelId: 'claude-sonnet-4-5',
      corsAllowedOrigins: 'https://dsf.example.com, http://localhost:5173',
    });

    expect(config).toMatchObject({
      stage: 'prod',
      authorizer: { kind: 'jwt', issuer: 'https://issuer.example.com/', audience: ['dsf-api', 'dsf-cli'] },
      agentConcurrency: { code: 8, test: 2, review: 2, conflict: 2 },
      logRetentionDays: 90,
      api: { rateLimit: 5, burstLimit: 40 },
      deletionProtection: false,
      github: { appId: '123456', installationId: '987', owner: 'acme' },
      alarmEmail: 'ops@example.com',
      model: {
        provider: 'anthropic',
        id: 'claude-sonnet-4-5',
        roles: { review: { provider: 'bedrock', id: 'us.anthropic.claude-opus-4-1-20250805-v1:0' } },
        budgetTask: '{"usd":5}',
        // An object in cdk.json goes into the environment as the JSON the functions parse.
        prices: '{"my-model":{"input":1,"output":2}}',
      },
      corsAllowedOrigins: ['https://dsf.example.com', 'http://localhost:5173'],
    });
  });

  it('refuses CORS origins with a path or without a scheme', () => {
    for (const origin of ['https://dsf.example.com/', 'dsf.example.com', 'https://dsf.example.com/app']) {
      expect(() => fromContext({ corsAllowedOrigins: origin })).toThrow(/corsAllowedOrigins/);
    }
  });

  it('turns deletion protection on by default for prod only', () => {
    expect(fromContext({ stage: 'prod' }).deletionProtection).toBe(true);
    expect(fromContext({ stage: 'dev', deletionProtection: true }).deletionProtection).toBe(true);
  });

  it('reports every problem at once, naming the setting and never its value', () => {
    let error: unknown;
    try {
      fromContext({
        stage: 'Prod!',
        authorizer: 'jwt',
        agentConcurrency: '{"code":0,"robot":1}',
        alarmEmail: 'not-an-email',
        logRetentionDays: '42',
        githubAppId: 'abc',
      });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ContextError);
    const problems = (error as ContextError).problems.map((problem) => problem.split(':')[0]);
    expect(problems.sort()).toEqual(
      [
        'stage',
        'agentConcurrency',
        'agentConcurrency.code',
        'alarmEmail',
        'logRetentionDays',
        'githubAppId',
        'githubInstallationId',
        'githubOwner',
        'jwtIssuer',
        'jwtAudience',
      ].sort(),
    );
    expect((error as ContextError).message).toContain('jwtIssuer: is required when authorizer=jwt');
  });

  it('asks for all three GitHub App settings together', () => {
    expect(() => fromContext({ githubAppId: '1', githubOwner: 'acme' })).toThrow(/githubInstallationId: is required with the other GitHub App settings/);
    expect(fromContext({}).github).toBeUndefined();
  });

  it('checks role models, budgets and prices with the parsers the functions use, without echoing values', () => {
    let error: unknown;
    try {
      fromContext({
        roleModels: '{"review":"sk-ant-api03-secret","painter":"bedrock:x"}',
        budgetTask: '{"usd":-1}',
        budgetFeature: 'lots',
        modelPrices: '{"m":{"input":"cheap"}}',
      });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ContextError);
    const { problems, message } = error as ContextError;
    expect([...new Set(problems.map((problem) => problem.split(':')[0]))].sort()).toEqual(
      ['roleModels', 'roleModels.review', 'budgetTask', 'budgetFeature', 'modelPrices'].sort(),
    );
    expect(problems.find((problem) => problem.startsWith('budgetFeature'))).toContain('must be JSON like');
    expect(message).not.toContain('sk-ant-api03-secret');
  });

  it('refuses agent concurrency that is not JSON', () => {
    expect(() => fromContext({ agentConcurrency: 'code=4' })).toThrow(/agentConcurrency: must be JSON/);
  });
});
