import { RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DsfConfig } from './config.js';
import type { DsfFunction } from './dsf-function.js';
import { acknowledge } from './nag.js';

export interface SecretsProps {
  readonly stage: string;
  /** Model vendors whose API key the agents need (Bedrock uses the role, no key). Default none. */
  readonly modelApiKeys?: { readonly anthropic?: boolean; readonly openai?: boolean };
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
  /** Read by the agents as DSF_ANTHROPIC_API_KEY_SECRET_ID when a model is `anthropic:…`. */
  readonly anthropicApiKey?: secretsmanager.Secret;
  /** Read by the agents as DSF_OPENAI_API_KEY_SECRET_ID when a model is `openai:…` (OpenAI or a compatible server). */
  readonly openaiApiKey?: secretsmanager.Secret;

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
    if (props.modelApiKeys?.anthropic) {
      this.anthropicApiKey = new secretsmanager.Secret(this, 'AnthropicApiKey', {
        secretName: named('anthropic-api-key'),
        description: 'DSF: Anthropic API key the agents call Claude with. Replace the placeholder with put-secret-value.',
        removalPolicy: props.removalPolicy,
      });
    }
    if (props.modelApiKeys?.openai) {
      this.openaiApiKey = new secretsmanager.Secret(this, 'OpenaiApiKey', {
        secretName: named('openai-api-key'),
        description: 'DSF: API key of the OpenAI(-compatible) endpoint the agents call. Replace the placeholder with put-secret-value.',
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
    return [this.githubAppPrivateKey, this.webhookSecret, ...(this.anthropicApiKey ? [this.anthropicApiKey] : []), ...(this.openaiApiKey ? [this.openaiApiKey] : [])];
  }

  /** The model key secrets' ARNs under the names lambdas/adapters/models/select-provider.ts reads. */
  get modelKeyEnvironment(): Record<string, string> {
    return {
      ...(this.anthropicApiKey ? { DSF_ANTHROPIC_API_KEY_SECRET_ID: this.anthropicApiKey.secretArn } : {}),
      ...(this.openaiApiKey ? { DSF_OPENAI_API_KEY_SECRET_ID: this.openaiApiKey.secretArn } : {}),
    };
  }

  grantModelKeysRead(fn: DsfFunction): void {
    this.anthropicApiKey?.grantRead(fn.role);
    this.openaiApiKey?.grantRead(fn.role);
  }

  /**
   * Lets a function act as the GitHub App: the App's settings and the key's
   * ARN in its environment (lambdas/config.ts, gitHubAppFrom), and read access
   * to the key. Only the functions that call GitHub get it.
   */
  grantGitHubApp(fn: DsfFunction, github: NonNullable<DsfConfig['github']>): void {
    const environment = {
      DSF_GITHUB_APP_ID: github.appId,
      DSF_GITHUB_INSTALLATION_ID: github.installationId,
      DSF_GITHUB_OWNER: github.owner,
      DSF_GITHUB_APP_PRIVATE_KEY_SECRET_ID: this.githubAppPrivateKey.secretArn,
    };
    for (const [name, value] of Object.entries(environment)) fn.function.addEnvironment(name, value);
    this.githubAppPrivateKey.grantRead(fn.role);
  }
}
