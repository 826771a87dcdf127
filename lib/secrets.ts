import { RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './nag.js';

export interface SecretsProps {
  readonly stage: string;
  /** Whether the agents call a model that needs an API key (Anthropic, OpenAI-compatible); Bedrock uses the role. */
  readonly modelApiKey: boolean;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The secrets DSF needs, created empty of anything real: CloudFormation fills
 * each with a random placeholder, and lib/README.md says how to put the real
 * values. Functions get the secret's ARN in their environment and read it at
 * run time through Powertools Parameters (cached), never the value itself.
 */
export class Secrets extends Construct {
  /** The GitHub App's private key (PEM), for the agents and the pull request step. */
  readonly githubAppPrivateKey: secretsmanager.Secret;
  /** The HMAC secret GitHub signs webhook deliveries with; the generated value can be used as is. */
  readonly webhookSecret: secretsmanager.Secret;
  readonly modelApiKey?: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: SecretsProps) {
    super(scope, id);
    const named = (name: string) => `dsf/${props.stage}/${name}`;
    this.githubAppPrivateKey = new secretsmanager.Secret(this, 'GithubAppPrivateKey', {
      secretName: named('github-app-private-key'),
      description: 'DSF: private key (PEM) of the GitHub App the agents act as. Replace the placeholder with put-secret-value.',
      removalPolicy: props.removalPolicy,
    });
    this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
      secretName: named('github-webhook-secret'),
      description: 'DSF: secret GitHub signs webhook deliveries with (X-Hub-Signature-256). Set the same value on the GitHub App.',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
      removalPolicy: props.removalPolicy,
    });
    if (props.modelApiKey) {
      this.modelApiKey = new secretsmanager.Secret(this, 'ModelApiKey', {
        secretName: named('model-api-key'),
        description: 'DSF: API key of the model provider the agents call. Replace the placeholder with put-secret-value.',
        removalPolicy: props.removalPolicy,
      });
    }
    acknowledge(
      this,
      'AwsSolutions-SMG4',
      'These secrets are issued outside AWS (a GitHub App key, the webhook secret shared with GitHub, a model vendor API key): a rotation Lambda cannot mint new ones, so they are rotated by hand as lib/README.md describes.',
    );
  }

  get all(): readonly secretsmanager.Secret[] {
    return [this.githubAppPrivateKey, this.webhookSecret, ...(this.modelApiKey ? [this.modelApiKey] : [])];
  }
}
