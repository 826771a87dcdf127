import { describe, expect, it } from 'vitest';
import { apiConfigSchema, ConfigError, loadConfig, orchestrationConfigSchema } from '../../lambdas/config.js';

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    expect(loadConfig(apiConfigSchema, { TABLE_NAME: 'dsf', STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:1:stateMachine:f' })).toMatchObject({
      TABLE_NAME: 'dsf',
      DSF_DEFAULT_REPO: 'demo',
      DSF_DEFAULT_BASE_BRANCH: 'main',
      DSF_IDEMPOTENCY_TTL_SECONDS: 86400,
    });
  });

  it('lists every problem at once without echoing values', () => {
    try {
      loadConfig(apiConfigSchema, { DSF_DYNAMODB_ENDPOINT: 'not a url with s3cret', DSF_IDEMPOTENCY_TTL_SECONDS: '5' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { problems, message } = error as ConfigError;
      expect(problems.map((p) => p.split(':')[0])).toEqual(['TABLE_NAME', 'STATE_MACHINE_ARN', 'DSF_DYNAMODB_ENDPOINT', 'DSF_IDEMPOTENCY_TTL_SECONDS']);
      expect(message).not.toContain('s3cret');
    }
  });
});

describe('orchestration config', () => {
  it('parses agent concurrency from JSON and rejects bad JSON by name', () => {
    expect(loadConfig(orchestrationConfigSchema, { TABLE_NAME: 'dsf', DSF_AGENT_CONCURRENCY: '{"code":8}' }).DSF_AGENT_CONCURRENCY).toEqual({ code: 8 });
    expect(() => loadConfig(orchestrationConfigSchema, { TABLE_NAME: 'dsf', DSF_AGENT_CONCURRENCY: '{code' })).toThrow(/DSF_AGENT_CONCURRENCY: must be JSON/);
    expect(() => loadConfig(orchestrationConfigSchema, { TABLE_NAME: 'dsf', DSF_AGENT_CONCURRENCY: '{"code":0}' })).toThrow(/DSF_AGENT_CONCURRENCY/);
  });
});
