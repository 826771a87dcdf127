import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { gitHubSteps } from '../../../lib/orchestrator.js';
import type { DsfFunction } from '../../../lib/dsf-function.js';
import { actionsOf, logicalIdOf, resourcesOf, statementsOfRole, synthesize, type Synthesized } from '../synth-fixture.js';

/** Every function of the stack, by a readable name. */
function functionsOf(stack: Synthesized['stack']): Record<string, DsfFunction> {
  return {
    ...Object.fromEntries(Object.entries(stack.agents.workers).map(([type, fn]) => [`worker:${type}`, fn])),
    ...Object.fromEntries(Object.entries(stack.orchestrator.stepFunctions).map(([entry, fn]) => [`step:${entry}`, fn])),
    ...Object.fromEntries(Object.entries(stack.api.routeFunctions).map(([entry, fn]) => [`route:${entry}`, fn])),
    'route:github-webhook': stack.api.webhookFunction,
  };
}

const readsSecret = (synthesized: Synthesized, fn: DsfFunction, secret: { node: unknown }) =>
  statementsOfRole(synthesized.template, logicalIdOf(fn.role))
    .filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'))
    .some((statement) => JSON.stringify(statement.Resource) === JSON.stringify({ Ref: logicalIdOf(secret as never) }));

export function describeSecrets(shared: () => Synthesized): void {
  describe('Secrets', () => {
    let dev: Synthesized;
    beforeAll(() => {
      dev = shared();
    });

    it('creates the GitHub App key and the webhook secret under the stage’s names, and no model key for Bedrock', () => {
      const names = Object.values(resourcesOf(dev.template, 'AWS::SecretsManager::Secret')).map((secret) => secret.Properties?.['Name']);

      expect(names.sort()).toEqual(['dsf/dev/github-app-private-key', 'dsf/dev/github-webhook-secret']);
      expect(dev.stack.secrets.anthropicApiKey).toBeUndefined();
      expect(dev.stack.secrets.openaiApiKey).toBeUndefined();
    });

    it('generates a webhook secret GitHub can use as is (no punctuation to escape)', () => {
      dev.template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: 'dsf/dev/github-webhook-secret',
        GenerateSecretString: Match.objectLike({ PasswordLength: 40, ExcludePunctuation: true }),
      });
    });

    it('gives the GitHub App (settings and key) to the workers, the steps that call GitHub and the webhook, and to no one else', () => {
      const expected = [
        ...Object.keys(dev.stack.agents.workers).map((type) => `worker:${type}`),
        ...gitHubSteps.map((entry) => `step:${entry}`),
        'route:github-webhook',
      ].sort();
      const functions = functionsOf(dev.stack);

      const readers = Object.entries(functions)
        .filter(([, fn]) => readsSecret(dev, fn, dev.stack.secrets.githubAppPrivateKey))
        .map(([name]) => name)
        .sort();

      expect(readers).toEqual(expected);
      for (const name of expected) {
        const variables = dev.template.toJSON().Resources[logicalIdOf(functions[name]!.function)].Properties.Environment.Variables;
        expect({ name, variables }).toMatchObject({
          name,
          variables: {
            DSF_GITHUB_APP_ID: '4242',
            DSF_GITHUB_INSTALLATION_ID: '777',
            DSF_GITHUB_OWNER: 'octo',
            DSF_GITHUB_APP_PRIVATE_KEY_SECRET_ID: { Ref: logicalIdOf(dev.stack.secrets.githubAppPrivateKey) },
          },
        });
      }
    });

    it('without a GitHub App, no function reads its key or gets its settings', () => {
      const plain = synthesize({});
      const functions = functionsOf(plain.stack);

      expect(Object.keys(functions).filter((name) => readsSecret(plain, functions[name]!, plain.stack.secrets.githubAppPrivateKey))).toEqual([]);
      expect(JSON.stringify(plain.template.toJSON())).not.toContain('DSF_GITHUB_APP_ID');
    });

    it('goes with a dev stack (a protected stack keeps it: see Storage)', () => {
      for (const secret of Object.values(dev.template.findResources('AWS::SecretsManager::Secret'))) expect(secret).toMatchObject({ DeletionPolicy: 'Delete' });
    });
  });
}
