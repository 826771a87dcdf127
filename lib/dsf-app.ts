import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseContext, type DsfConfig } from './config.js';
import { DsfStack } from './dsf-stack.js';

export interface DsfAppOptions extends AppProps {
  /** Run cdk-nag's AwsSolutions pack as a validation plugin: any unacknowledged finding fails synthesis. @default true */
  readonly nag?: boolean;
}

/** The CDK app: configuration from context, one stack per stage, cdk-nag on the whole app. */
export function createDsfApp(options: DsfAppOptions = {}): { app: App; stack: DsfStack; config: DsfConfig } {
  const { nag = true, ...appProps } = options;
  const app = new App(appProps);
  const config = parseContext((key) => app.node.tryGetContext(key));
  const stack = new DsfStack(app, `Dsf-${config.stage}`, {
    config,
    description: `DSF (${config.stage}): feature requests in, reviewed and tested pull requests out`,
  });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
