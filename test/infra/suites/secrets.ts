import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOf, type Synthesized } from '../synth-fixture.js';

export function describeSecrets(shared: () => Synthesized): void {
  describe('Secrets', () => {
    let dev: Synthesized;
    beforeAll(() => {
      dev = shared();
    });

    it('creates the GitHub App key and the webhook secret under the stage’s names, and no model key for Bedrock', () => {
      const names = Object.values(resourcesOf(dev.template, 'AWS::SecretsManager::Secret')).map((secret) => secret.Properties?.['Name']);

      expect(names.sort()).toEqual(['dsf/dev/github-app-private-key', 'dsf/dev/github-webhook-secret']);
      expect(dev.stack.secrets.modelApiKey).toBeUndefined();
    });

    it('generates a webhook secret GitHub can use as is (no punctuation to escape)', () => {
      dev.template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: 'dsf/dev/github-webhook-secret',
        GenerateSecretString: Match.objectLike({ PasswordLength: 40, ExcludePunctuation: true }),
      });
    });

    it('goes with a dev stack (a protected stack keeps it: see Storage)', () => {
      for (const secret of Object.values(dev.template.findResources('AWS::SecretsManager::Secret'))) expect(secret).toMatchObject({ DeletionPolicy: 'Delete' });
    });
  });
}
